"""Repositories: Core queries that map rows to domain values, one module per noun."""
