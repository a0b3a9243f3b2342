"""Callboard's own features that plug in through the plugin hooks, exactly as third-party plugins do."""
