"""jwtgate: a self-hostable JWT authentication service."""

__version__ = "0.1.0"
