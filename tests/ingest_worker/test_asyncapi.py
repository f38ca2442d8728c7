"""The AsyncAPI document: generated from the models and never stale."""

from __future__ import annotations

from typing import Any

import yaml

from ingest_worker import asyncapi
from ingest_worker.consumers.contract import ErrorCode


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def resolve(document: dict, ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_committed_document_is_what_the_models_generate():
    assert asyncapi.main(["--check"]) == 0, "run: python -m ingest_worker.asyncapi"


def test_a_changed_document_is_reported_stale(tmp_path):
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(asyncapi.render().replace("3.0.0", "2.6.0", 1))

    assert asyncapi.main(["--check", "--output", str(stale)]) == 1
    assert asyncapi.main(["--output", str(stale)]) == 0
    assert asyncapi.main(["--check", "--output", str(stale)]) == 0


def test_every_reference_resolves():
    document = yaml.safe_load(asyncapi.DOCUMENT_PATH.read_text("utf-8"))

    for ref in refs(document):
        assert resolve(document, ref) is not None, ref


def test_payloads_are_the_create_bodies_of_the_rest_routes():
    document = yaml.safe_load(asyncapi.DOCUMENT_PATH.read_text("utf-8"))
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]

    v3 = messages["datasetCreateV3"]["payload"]["oneOf"]
    raw = resolve(document, v3[0]["$ref"])
    assert {"ownerGroup", "sourceFolder", "principalInvestigator"} <= set(
        raw["properties"]
    )
    v4 = resolve(document, messages["datasetCreateV4"]["payload"]["$ref"])
    assert "proposalIds" in v4["properties"]
    files = resolve(document, messages["origdatablockCreateV3"]["payload"]["$ref"])
    assert {"datasetId", "dataFileList"} <= set(files["properties"])
    assert set(schemas["Reply"]["properties"]) == {"status", "id", "document", "error"}


def test_dead_letter_headers_list_every_error_code():
    document = yaml.safe_load(asyncapi.DOCUMENT_PATH.read_text("utf-8"))
    headers = document["components"]["messages"]["deadLetter"]["headers"]

    codes = headers["properties"]["x-scicat-error-code"]["enum"]
    assert codes == [code.value for code in ErrorCode]
    assert {"x-scicat-error", "x-scicat-routing-key", "x-scicat-attempts"} <= set(
        headers["required"]
    )
