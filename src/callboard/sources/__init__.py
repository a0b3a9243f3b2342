"""Where repository contents come from: shallow git clones kept in a cache and refreshed incrementally."""
