"""What happened: immutable events, parsed and validated with their file and position."""
