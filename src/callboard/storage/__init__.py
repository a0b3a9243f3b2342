"""Persistence: the database engine, the tables and their migrations. SQL lives here and in feature stores."""
