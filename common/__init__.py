"""Domain layer shared by the worker and the API: settings, models, store, services."""
