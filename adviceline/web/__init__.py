"""The HTTP side of the service: app factory, staff pages (console, coordinator), health."""
