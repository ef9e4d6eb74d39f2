"""countylink.layers"""
