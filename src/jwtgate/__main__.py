"""``python -m jwtgate`` runs the command line."""

from jwtgate.cli import main

main()
