"""countylink.maps"""
