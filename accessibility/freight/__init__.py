"""freight."""
