"""Events: publish and subscribe by topic, in the process and across replicas."""
