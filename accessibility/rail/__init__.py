"""rail."""
