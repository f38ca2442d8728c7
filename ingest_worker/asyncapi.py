"""The AsyncAPI 3.0 document of the message contract, generated from our models.

    .venv/bin/python -m ingest_worker.asyncapi            # rewrite docs/asyncapi.yaml
    .venv/bin/python -m ingest_worker.asyncapi --check    # exit 1 when it is stale

Payload schemas come from the pydantic models themselves: the create bodies
of :mod:`common.models` (what the matching REST route accepts) and the reply
and dead-letter shapes of :mod:`ingest_worker.consumers.contract`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from common.effects.events import ACTION_HEADER, ENTITY_HEADER, SOURCE_ID_HEADER

from .consumers.contract import (
    AMQP_USER_HEADER,
    AMQP_USER_SIGNATURE_HEADER,
    API_VERSION_HEADER,
    ATTEMPTS_HEADER,
    AUTHORIZATION_HEADER,
    DEAD_AT_HEADER,
    ERROR_CODE_HEADER,
    ERROR_HEADER,
    ROUTING_KEY_HEADER,
    DeadLetterError,
    ErrorCode,
    Reply,
)
from .consumers.routes import INGEST_ROUTES, IngestRoute

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"
_REF = "#/components/schemas/{model}"


def _schemas() -> dict[str, Any]:
    models: list[type[BaseModel]] = [Reply, DeadLetterError]
    for route in INGEST_ROUTES:
        for shape in route.payloads:
            models.extend(model for model in shape if model not in models)
    _, top = models_json_schema(
        [(model, "validation") for model in models], ref_template=_REF
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    return dict(sorted(schemas.items()))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _one_of(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    if len(models) == 1:
        return _ref(models[0])
    return {"oneOf": [_ref(model) for model in models]}


_INGEST_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        AUTHORIZATION_HEADER: {
            "type": "string",
            "description": "Bearer <JWT of the API>; accepted up to "
            "INGEST_TOKEN_GRACE_SECONDS past exp. Without it, the broker-verified "
            "user_id property names the account.",
        },
        API_VERSION_HEADER: {
            "type": "string",
            "enum": ["3", "4"],
            "description": "4 selects the v4 body shape; 3 or absent the v3 one.",
        },
    },
}

_DEAD_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": [ERROR_CODE_HEADER, ERROR_HEADER, ROUTING_KEY_HEADER, ATTEMPTS_HEADER],
    "properties": {
        ERROR_CODE_HEADER: {"type": "string", "enum": [c.value for c in ErrorCode]},
        ERROR_HEADER: {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "JSON of DeadLetterError (message, details), at most 16 KiB",
        },
        ROUTING_KEY_HEADER: {"type": "string", "description": "the original key"},
        ATTEMPTS_HEADER: {"type": "integer", "minimum": 1},
        DEAD_AT_HEADER: {"type": "string", "format": "date-time"},
        AMQP_USER_HEADER: {
            "type": "string",
            "description": "the original AMQP user_id (the broker refuses "
            "re-publishing it under another user)",
        },
        AMQP_USER_SIGNATURE_HEADER: {
            "type": "string",
            "description": "the worker's signature binding that user to this message",
        },
    },
}


def _message_name(route: IngestRoute, version: str) -> str:
    entity = route.routing_key.split(".")[0]
    return f"{entity}CreateV{version}"


def _ingest_parts(
    route: IngestRoute,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The channel, the receive operation and the messages of one routing key."""
    messages: dict[str, Any] = {}
    for version, models in zip(("3", "4"), route.payloads, strict=True):
        name = _message_name(route, version)
        messages[name] = {
            "name": name,
            "title": f"{route.routing_key} (v{version} body)",
            "summary": route.summary,
            "contentType": "application/json",
            "headers": _INGEST_HEADERS,
            "payload": _one_of(models),
            "correlationId": {"location": "$message.header#/correlation_id"},
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
    channel = {
        # AMQP channels are routing keys on the exchange named in the binding.
        "address": route.routing_key,
        "title": route.routing_key,
        "messages": {
            name: {"$ref": f"#/components/messages/{name}"} for name in messages
        },
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": "{namespace}.ingest",
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": "0.3.0",
            }
        },
    }
    key = route.routing_key.replace(".", "_")
    operation = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{key}"},
        "summary": f"{route.summary}; every message ends in one outcome",
        "description": (
            f"Consumed from the quorum queue {{namespace}}.{route.routing_key}. "
            "message_id is required and makes redelivery idempotent. Transient "
            "failures are retried through the delay queues, permanent ones "
            "dead-lettered with a reason; with reply_to set, one Reply is sent."
        ),
        "bindings": {"amqp": {"ack": True, "bindingVersion": "0.3.0"}},
        "reply": {
            "address": {"location": "$message.header#/reply_to"},
            "channel": {"$ref": "#/channels/replies"},
            "messages": [{"$ref": "#/channels/replies/messages/reply"}],
        },
        "messages": [
            {"$ref": f"#/channels/{key}/messages/{name}"} for name in messages
        ],
    }
    return channel, operation, messages


def build_document() -> dict[str, Any]:
    """The whole AsyncAPI document as plain data."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for route in INGEST_ROUTES:
        channel, operation, route_messages = _ingest_parts(route)
        key = route.routing_key.replace(".", "_")
        channels[key] = channel
        operations[f"receive_{key}"] = operation
        messages.update(route_messages)

    messages["reply"] = {
        "name": "reply",
        "contentType": "application/json",
        "payload": _ref(Reply),
        "correlationId": {"location": "$message.header#/correlation_id"},
    }
    messages["deadLetter"] = {
        "name": "deadLetter",
        "summary": "The original message (body and properties) with the reason",
        "headers": _DEAD_HEADERS,
        "payload": {"description": "the original body, unchanged"},
    }
    messages["event"] = {
        "name": "event",
        "summary": "<entity>.created|updated|deleted after every stored write",
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                ENTITY_HEADER: {"type": "string"},
                ACTION_HEADER: {
                    "type": "string",
                    "enum": ["created", "updated", "deleted"],
                },
                SOURCE_ID_HEADER: {
                    "type": "string",
                    "description": "message id or request id",
                },
            },
        },
        "payload": {"type": "object", "description": "the stored document"},
    }
    channels["replies"] = {
        "address": None,
        "title": "reply_to of the message",
        "messages": {"reply": {"$ref": "#/components/messages/reply"}},
    }
    channels["dead"] = {
        "address": "{namespace}.dead",
        "parameters": {"namespace": {"$ref": "#/components/parameters/namespace"}},
        "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
    }
    channels["events"] = {
        "address": "{entity}.{action}",
        "description": "on the exchange {namespace}.ingest (AMQP_NAMESPACE)",
        "parameters": {
            "entity": {"description": "dataset, origdatablock, datablock, ..."},
            "action": {"enum": ["created", "updated", "deleted"]},
        },
        "messages": {"event": {"$ref": "#/components/messages/event"}},
    }
    operations["send_dead_letter"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/dead"},
        "summary": "Rejected messages, published through {namespace}.dlx",
        "messages": [{"$ref": "#/channels/dead/messages/deadLetter"}],
    }
    operations["send_event"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/events"},
        "summary": "Domain events after writes by message or by REST",
        "messages": [{"$ref": "#/channels/events/messages/event"}],
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SciCat ingest messages",
            "version": "1.0.0",
            "description": (
                "Datasets, file lists and datablocks published to RabbitMQ: "
                "buffered, retried, never duplicated, never silently lost. "
                "Generated by ingest_worker/asyncapi.py; see docs/messaging.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "namespace": {"default": "scicat", "description": "AMQP_NAMESPACE"}
            },
            "messages": messages,
            "schemas": _schemas(),
        },
    }


def render() -> str:
    return yaml.safe_dump(
        build_document(), sort_keys=False, allow_unicode=True, width=88
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when stale")
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text("utf-8") if args.output.exists() else ""
        if current != text:
            print(
                f"{args.output} is stale: run python -m ingest_worker.asyncapi",
                file=sys.stderr,
            )
            return 1
        return 0
    args.output.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
