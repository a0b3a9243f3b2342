"""The plugin's own table; its migrations in ``migrations/`` create it."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

posts = Table(
    "announcements_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team", String(400), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(400), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("source", String(64), nullable=False, server_default="portal"),
)
