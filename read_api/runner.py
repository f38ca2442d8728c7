"""Serving the application on ``HOST:PORT``."""

from __future__ import annotations

import logging

from aiohttp import web

from common.settings import Settings

__all__ = ["start_api"]

logger = logging.getLogger(__name__)


async def start_api(app: web.Application, settings: Settings) -> web.AppRunner:
    """Start serving ``app`` on ``settings.HOST:settings.PORT``.

    Returns the runner; the caller stops serving with ``await runner.cleanup()``,
    which also runs the application's clean-up hooks.
    """
    # Our observe middleware logs each request once; aiohttp's access log would
    # repeat it.
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.HOST, settings.PORT)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    logger.info("api listening", extra={"host": settings.HOST, "port": settings.PORT})
    return runner
