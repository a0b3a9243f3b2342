"""The software catalog: descriptors, kinds, validation and (later) the processing engine."""
