"""countylink.accessibility"""
