"""Swagger UI at ``/<SWAGGER_PATH>`` and the OpenAPI JSON at ``/<SWAGGER_PATH>-json``.

The UI's assets come from the swagger-ui-py package and are served from here,
so the explorer works without internet access.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from swagger_ui.core import ApplicationDocument
from swagger_ui.utils import SWAGGER_UI_PY_ROOT

from common import jsoncodec
from common.errors import NotFoundError
from read_api.openapi import OPENAPI
from read_api.routing import RouteGroup

__all__ = ["STATIC_DIR", "explorer_routes"]

STATIC_DIR = Path(SWAGGER_UI_PY_ROOT) / "static"


def explorer_routes(swagger_path: str) -> RouteGroup:
    """The explorer page, its static assets and the OpenAPI document."""
    prefix = "/" + swagger_path.strip("/")
    page = _render_page(prefix)
    assets = {entry.name: entry for entry in STATIC_DIR.iterdir() if entry.is_file()}
    group = RouteGroup(tags=("explorer",))

    async def explorer_page(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def explorer_asset(request: web.Request) -> web.FileResponse:
        # Only files the package ships: a name is looked up, never joined.
        asset = assets.get(request.match_info["name"])
        if asset is None:
            raise NotFoundError("Asset not found")
        return web.FileResponse(asset)

    async def openapi_document(request: web.Request) -> web.Response:
        body = jsoncodec.dumps(request.app[OPENAPI].document())
        return web.Response(body=body, content_type="application/json")

    group.add("GET", prefix, explorer_page, summary="Swagger UI", in_schema=False)
    group.add(
        "GET",
        prefix + "/static/{name}",
        explorer_asset,
        summary="Swagger UI asset",
        in_schema=False,
    )
    group.add(
        "GET",
        prefix + "-json",
        openapi_document,
        summary="OpenAPI document",
        in_schema=False,
    )
    return group


def _render_page(prefix: str) -> str:
    # swagger-ui-py renders its page template from these three values; the
    # document URL is prefix + config_rel_url, i.e. "/explorer-json".
    document = ApplicationDocument(
        app=None, url_prefix=prefix, config_rel_url="-json", title="SciCat API"
    )
    html: str = document.doc_html
    return html
