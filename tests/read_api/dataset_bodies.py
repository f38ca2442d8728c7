"""Dataset bodies shaped like SciCat's e2e test data, and request helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def raw_v3(**overrides: Any) -> dict[str, Any]:
    """A v3 raw dataset body (SciCat's TestData.RawCorrect, rewritten)."""
    body: dict[str, Any] = {
        "owner": "Bertram Astor",
        "ownerEmail": "bertram.astor@your.site",
        "orcidOfOwner": "unknown",
        "contactEmail": "bertram.astor@your.site",
        "sourceFolder": "/iramjet/tiff/pid/",
        "size": 0,
        "creationTime": "2011-09-14T06:08:25.000Z",
        "keywords": ["Cryo", "Calibration"],
        "description": "None",
        "license": "CC BY-SA 4.0",
        "isPublished": False,
        "ownerGroup": "group1",
        "accessGroups": ["group5"],
        "type": "raw",
        "principalInvestigator": "bertram.astor@your.site",
        "creationLocation": "/SU/XQX/RAMJET",
        "classification": "AV=medium,CO=low",
        "proposalId": "10.540/39281",
        "scientificMetadata": {
            "beamlineParameters": {"Ring current": {"v": 0.402, "u": "A"}},
            "temperature.max": {"value": 300, "unit": "K"},
        },
    }
    body.update(overrides)
    return body


def derived_v3(**overrides: Any) -> dict[str, Any]:
    """A v3 derived dataset body."""
    body: dict[str, Any] = {
        "owner": "Egon Meier",
        "contactEmail": "egon.meier@your.site",
        "sourceFolder": "/data/derived/run-7",
        "creationTime": "2017-01-31T09:20:19.562Z",
        "ownerGroup": "group1",
        "accessGroups": [],
        "type": "derived",
        "investigator": "egon.meier@your.site",
        "inputDatasets": ["20.500.12269/input-1"],
        "usedSoftware": ["https://github.com/SwissFEL/pyscan"],
        "isPublished": False,
    }
    body.update(overrides)
    return body


def v4_body(**overrides: Any) -> dict[str, Any]:
    """A v4 dataset body."""
    body: dict[str, Any] = {
        "owner": "Bertram Astor",
        "ownerEmail": "bertram.astor@your.site",
        "contactEmail": "bertram.astor@your.site",
        "sourceFolder": "/iramjet/tiff/v4/",
        "creationTime": "2011-09-14T06:08:25.000Z",
        "datasetName": "v4 dataset",
        "type": "raw",
        "ownerGroup": "group1",
        "accessGroups": ["group5"],
        "isPublished": False,
        "proposalIds": ["10.540/39281"],
        "scientificMetadata": {
            "temperature.max": {"value": 300, "unit": "K"},
            "with_unit_and_value_si": {"value": 1, "unit": "m"},
        },
    }
    body.update(overrides)
    return body


def enc(pid: str) -> str:
    """A pid as clients put it in a path (``/`` as ``%2F``)."""
    return quote(pid, safe="")


async def create_v3(api: Any, user: str = "user1", **overrides: Any) -> dict[str, Any]:
    body = derived_v3 if overrides.get("type") == "derived" else raw_v3
    response = await api.call("POST", "/api/v3/datasets", user, json=body(**overrides))
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def create_v4(api: Any, user: str = "user1", **overrides: Any) -> dict[str, Any]:
    response = await api.call(
        "POST", "/api/v4/datasets", user, json=v4_body(**overrides)
    )
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created
