"""Use cases: one function per API command, each one transaction."""
