"""HTTP front doors and operations endpoints."""
