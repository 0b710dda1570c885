"""Storage: SQLAlchemy Core tables built from the registry, and their migration."""
