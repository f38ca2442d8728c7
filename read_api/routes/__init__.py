"""Route groups, one module per entity or concern; the app factory mounts them all."""
