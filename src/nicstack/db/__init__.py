"""Persistence: SQLAlchemy Core tables, engine, unit of work, repositories, migrations."""
