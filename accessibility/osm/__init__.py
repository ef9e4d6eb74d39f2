"""OpenStreetMap input: way filters, extract reading, Overpass requests, tagged features, the OSMnx adapter."""
