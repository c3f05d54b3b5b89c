"""Persistence: SQLAlchemy models, the engine and the repository functions the service calls."""
