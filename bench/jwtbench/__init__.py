"""The jwtgate benchmark (issue 9): ``python -m jwtbench`` (see bench/README.md)."""
