"""Pure vocabulary of the portal: entities, references, relations and errors. No I/O."""
