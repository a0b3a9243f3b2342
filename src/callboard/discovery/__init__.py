"""The inferred catalog: entities generated centrally from what repositories contain, each field with the
file and rule it came from."""
