"""Structured logging, configured once per entry point.

Modules use ``logging.getLogger(__name__)`` and pass fields through ``extra=``;
structlog renders every record (ours and the libraries') as one JSON object per
line, or as aligned console text for people.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson
import structlog

# Set by the edges for the duration of one request or message; added to every line.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
message_id_var: ContextVar[str | None] = ContextVar("message_id", default=None)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()) | {
    "message",
    "asctime",
}


def _add_extra_fields(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event_dict.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                event_dict.setdefault(key, value)
    return event_dict


def _add_context_ids(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = request_id_var.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    message_id = message_id_var.get()
    if message_id is not None:
        event_dict.setdefault("message_id", message_id)
    return event_dict


def _orjson_text(obj: Any, **_kwargs: Any) -> str:
    # orjson is several times faster than json.dumps on the per-request log line.
    return orjson.dumps(obj, default=repr).decode()


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route every stdlib logger through one structlog formatter on stderr."""
    renderer: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer(serializer=_orjson_text)

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_extra_fields,
            _add_context_ids,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log repeats what our request middleware logs.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
