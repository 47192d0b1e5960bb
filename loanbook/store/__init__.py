"""The store: facilities, their files and their append-only records in SQLite (the default) or PostgreSQL."""
