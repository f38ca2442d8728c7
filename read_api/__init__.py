"""The aiohttp REST API: SciCat's /api/v3 and /api/v4 surface over the services."""
