"""The permissions this plugin checks, by name; a module of its own so that declaring them at start-up
loads nothing else."""

READ = "change-events.read"
CREATE = "change-events.create"
