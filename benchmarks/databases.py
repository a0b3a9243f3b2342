"""A fresh PostgreSQL database for a benchmark run, on the machine's server (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import subprocess


def fresh_postgresql(name: str) -> str:
    """Drop ``name`` if it exists (with its connections), create it empty, and return its URL."""
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q"]
    subprocess.run(
        [*admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "-c", f"CREATE DATABASE {name}"], check=True
    )
    return f"postgresql://postgres@127.0.0.1:5432/{name}"
