"""The permissions this plugin checks, by name; a module of its own so that declaring them at start-up
loads nothing else."""

RETRY = "gitlab-ci.pipeline.retry"
