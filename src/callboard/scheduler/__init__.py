"""Scheduled tasks: one mechanism for recurring work, leased across replicas."""
