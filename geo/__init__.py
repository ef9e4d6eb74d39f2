"""countylink.geo"""
