"""What handlers read from a request: body, query, identity; bad input is a 400.

Bodies are accepted as JSON (``application/json`` and
``application/merge-patch+json``, as SciCat's body parser) or as urlencoded
forms; other content types get 415. Bodies over ``MAX_FILE_UPLOAD_SIZE`` get
413 before they are read whole.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from common import jsoncodec
from common.errors import InvalidError
from common.identity.principal import ANONYMOUS, Identity
from common.models.validation import ErrorForm, validate
from read_api.errors import HttpError
from read_api.keys import IDENTITY, SETTINGS

__all__ = [
    "JSON_BODY_TYPES",
    "identity_of",
    "json_body",
    "json_query_param",
    "query_model",
    "raw_body",
]

M = TypeVar("M", bound=BaseModel)

JSON_BODY_TYPES = frozenset({"application/json", "application/merge-patch+json"})
FORM_TYPE = "application/x-www-form-urlencoded"

_BODY_CACHE: web.RequestKey[Any] = web.RequestKey("parsed_body")


def identity_of(request: web.Request) -> Identity:
    """The caller, as the identity middleware found it (anonymous by default)."""
    identity: Identity = request.get(IDENTITY, ANONYMOUS)
    return identity


async def raw_body(request: web.Request) -> Any:
    """The decoded body (JSON value or form dict); ``{}`` when there is none."""
    if _BODY_CACHE in request:
        return request[_BODY_CACHE]

    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise HttpError.nest(413, "request entity too large")

    content_type = request.content_type
    if content_type == FORM_TYPE:
        form = await request.post()
        value: Any = {
            key: values[0] if len(values) == 1 else values
            for key in form
            if (values := form.getall(key))
        }
    elif content_type in JSON_BODY_TYPES or "Content-Type" not in request.headers:
        # Clients that send JSON without the header are common.
        value = _decode_json(await request.read())
    else:
        raise HttpError.nest(415, f"Unsupported content type {content_type}")

    request[_BODY_CACHE] = value
    return value


async def json_body(
    request: web.Request, model: type[M], form: ErrorForm = ErrorForm.NEST
) -> M:
    """The body validated into ``model``; 400 in SciCat's ``form`` when invalid."""
    return validate(model, await raw_body(request), form)


def query_model(request: web.Request, model: type[M]) -> M:
    """The query parameters validated into ``model`` (repeated names as lists)."""
    query = request.query
    data = {
        key: values[0] if len(values) == 1 else values
        for key in query
        if (values := query.getall(key))
    }
    return validate(model, data)


def json_query_param(request: web.Request, name: str, default: Any = None) -> Any:
    """A query parameter holding JSON (SciCat's ``filter``, ``fields`` ...)."""
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        return jsoncodec.loads(text)
    except jsoncodec.JSONDecodeError as exc:
        raise InvalidError(f"Invalid JSON in query parameter '{name}': {exc}") from exc


def _decode_json(data: bytes) -> Any:
    if not data.strip():
        return {}
    try:
        return jsoncodec.loads(data)
    except jsoncodec.JSONDecodeError as exc:
        raise InvalidError(f"Malformed JSON body: {exc}") from exc
