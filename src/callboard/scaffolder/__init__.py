"""Software templates: Backstage's ``scaffolder.backstage.io/v1beta3`` templates, run unmodified."""
