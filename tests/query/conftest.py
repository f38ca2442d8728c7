"""Small in-memory collections for running the built queries (mongomock)."""

from __future__ import annotations

from datetime import UTC, datetime

import mongomock
import pytest

from common.query.fullquery import FieldType, QuerySpec

DATASET_SPEC = QuerySpec(
    id_field="pid",
    field_types={
        "pid": FieldType.STRING,
        "ownerGroup": FieldType.STRING,
        "accessGroups": FieldType.ARRAY,
        "sharedWith": FieldType.ARRAY,
        "type": FieldType.STRING,
        "keywords": FieldType.ARRAY,
        "creationTime": FieldType.DATE,
        "creationLocation": FieldType.STRING,
        "isPublished": FieldType.BOOLEAN,
        "size": FieldType.NUMBER,
        "scientificMetadata": FieldType.OBJECT,
        "datasetlifecycle": FieldType.OBJECT,
        "datasetlifecycle.archiveStatusMessage": FieldType.STRING,
        "datasetlifecycle.archivable": FieldType.BOOLEAN,
    },
)


def _dataset(pid, **values):
    document = {
        "_id": pid,
        "pid": pid,
        "ownerGroup": "g1",
        "accessGroups": [],
        "type": "raw",
        "keywords": [],
        "isPublished": False,
        "size": 0,
        "creationTime": datetime(2020, 1, 1, tzinfo=UTC),
        "scientificMetadata": {},
        "datasetlifecycle": {"archiveStatusMessage": "datasetCreated"},
    }
    document.update(values)
    return document


DATASETS = [
    _dataset(
        "p/1",
        keywords=["alpha", "beta"],
        size=100,
        creationLocation="ESS",
        creationTime=datetime(2021, 3, 4, 10, tzinfo=UTC),
        scientificMetadata={
            "temperature": {"value": 300, "unit": "K", "valueSI": 300, "unitSI": "K"},
            "sample%2Ename": {"value": "water"},
            "mode": "fast",
        },
        datasetlifecycle={"archiveStatusMessage": "datasetOnArchiveDisk"},
    ),
    _dataset(
        "p/2",
        ownerGroup="g2",
        accessGroups=["g1"],
        keywords=["beta"],
        size=2000,
        type="derived",
        creationLocation="PSI",
        creationTime=datetime(2021, 3, 4, 18, tzinfo=UTC),
        scientificMetadata={
            "temperature": {
                "value": 25,
                "unit": "degC",
                "valueSI": 298.15,
                "unitSI": "K",
            },
            "length": {"value": 1500, "unit": "mm", "valueSI": 1.5, "unitSI": "m"},
            "mode": "Slow Scan",
        },
    ),
    _dataset(
        "p/3",
        ownerGroup="g3",
        isPublished=True,
        keywords=["gamma"],
        size=5,
        creationLocation="ESS",
        creationTime=datetime(2022, 7, 8, tzinfo=UTC),
        scientificMetadata={
            "temperature": {"v": 10, "u": "K", "valueSI": 10, "unitSI": "K"},
            "length": {"value": 3, "unit": "m", "valueSI": 3, "unitSI": "m"},
        },
    ),
]


@pytest.fixture
def db():
    database = mongomock.MongoClient(tz_aware=True).db
    database.Dataset.insert_many([dict(d) for d in DATASETS])
    return database


def pids(documents):
    return sorted(document["pid"] for document in documents)
