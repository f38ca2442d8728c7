"""Dataset bodies shaped like SciCat's test fixtures (TestData.js), written anew."""

from __future__ import annotations

import copy
from typing import Any

RAW_CORRECT_MIN: dict[str, Any] = {
    "principalInvestigator": "Ada Lovelace",
    "owner": "Ada Lovelace",
    "contactEmail": "ada.lovelace@example.org",
    "sourceFolder": "/data/beamline/run-0001",
    "creationTime": "2011-09-14T06:08:25.000Z",
    "creationLocation": "/PSI/SLS/TOMCAT",
    "type": "raw",
    "ownerGroup": "p13388",
    "accessGroups": [],
}

RAW_CORRECT: dict[str, Any] = {
    "principalInvestigator": "scicatingestor@your.site",
    "endTime": "2011-09-14T06:31:25.000Z",
    "creationLocation": "/SU/XQX/RAMJET",
    "dataFormat": "Upchuck pre 2017",
    "scientificMetadata": {
        "beamlineParameters": {
            "Monostripe": "Ru/C",
            "Ring current": {"v": 0.402246, "u": "A"},
            "Beam energy": {"v": 22595, "u": "eV"},
        },
        "detectorParameters": {
            "Objective": 20,
            "Scintillator": "LAG 20um",
            "Exposure time": {"v": 0.4, "u": "s"},
        },
        "scanParameters": {
            "Number of projections": 1801,
            "Rot Y min position": {"v": 0, "u": "deg"},
            "Inner scan flag": 0,
            "File Prefix": "817b_B2_",
            "Sample In": {"v": 0, "u": "m"},
            "Number of darks": 10,
            "Rot Y max position": {"v": 180, "u": "deg"},
            "Angular step": {"v": 0.1, "u": "deg"},
            "Number of flats": 120,
            "Sample Out": {"v": -0.005, "u": "m"},
            "Flat frequency": 0,
            "Number of inter-flats": 0,
        },
        "quantity_range": {"v": [1, 2], "u": "cm"},
    },
    "owner": "Andrew",
    "ownerEmail": "scicatingestor@your.site",
    "orcidOfOwner": "unknown",
    "contactEmail": "scicatingestor@your.site",
    "sourceFolder": "/iramjet/tif/",
    "size": 0,
    "creationTime": "2011-09-14T06:08:25.000Z",
    "description": "None",
    "datasetName": "None",
    "classification": "AV=medium,CO=low",
    "license": "CC BY-SA 4.0",
    "isPublished": False,
    "ownerGroup": "p13388",
    "accessGroups": [],
    "proposalId": "",
    "type": "raw",
    "keywords": ["sls", "protein"],
    "instrumentId": "1f016ec4-7a73-11ef-ae3e-439013069377",
    "sampleId": "20c32b4e-7a73-11ef-9aec-5b9688aa3791i",
}

DERIVED_CORRECT_MIN: dict[str, Any] = {
    "investigator": "egon.meier@web.de",
    "inputDatasets": ["/data/input/file1.h5"],
    "usedSoftware": ["https://gitlab.psi.ch/ANALYSIS/csaxs/commit/7d5888bfffc44"],
    "owner": "Egon Meier",
    "contactEmail": "egon.meier@web.de",
    "sourceFolder": "/data/example/2017",
    "creationTime": "2017-01-31T09:20:19.562Z",
    "type": "derived",
    "ownerGroup": "p34123",
}

CUSTOM_CORRECT_MIN: dict[str, Any] = {
    "owner": "Jane Roe",
    "contactEmail": "jane.roe@example.org",
    "sourceFolder": "/data/custom/42",
    "creationTime": "2024-02-01T10:00:00.000Z",
    "datasetName": "custom dataset",
    "type": "custom",
    "ownerGroup": "p10029",
}


def body(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``template`` with ``changes`` applied (None removes a key)."""
    result = copy.deepcopy(template)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


RAW_WRONG_1: dict[str, Any] = {
    "owner": "Bertram Astor second",
    "ownerEmail": "bertram.astor@grumble.com",
    "orcidOfOwner": "unknown",
    "contactEmail": "bertram.astor@grumble.com",
    "sourceFolder": "/iramjet/tif/",
    "creationTime": "2011-09-14T06:08:25.000Z",
    "keywords": ["Cryo", "Calibration"],
    "description": "None",
    "license": "CC BY-SA 4.0",
    "isPublished": False,
    "ownerGroup": "p13388",
    "accessGroups": [],
    "type": "raw",
}

DERIVED_WRONG: dict[str, Any] = {
    "investigator": "egon.meier@web.de",
    "jobParameters": {"nscans": 13},
    "jobLogData": "Output of log file...",
    "owner": "Egon Meier",
    "ownerEmail": "egon.meier@web.de",
    "contactEmail": "egon.meier@web.de",
    "sourceFolder": "/data/example/2017",
    "creationTime": "2017-01-31T09:20:19.562Z",
    "keywords": ["Test", "Derived", "Science", "Math"],
    "description": "Some fancy description",
    "isPublished": False,
    "ownerGroup": "p34123",
    "type": "derived",
}

CUSTOM_WRONG_DATA: dict[str, Any] = {
    "principalInvestigators": ["egon.meier@web.de"],
    "jobParameters": {"nscans": 10},
    "jobLogData": "Output of log file...",
    "owner": "Egon Meier",
    "ownerEmail": "egon.meier@web.de",
    "contactEmail": "egon.meier@web.de",
    "sourceFolder": "/data/example/2017",
    "creationTime": "2017-01-31T09:20:19.562Z",
    "keywords": ["Test", "Custom", "Science", "Math"],
    "description": "Some fancy description",
    "isPublished": False,
    "ownerGroup": "p34123",
    "proposalId": "abcdefg",
    "type": "custom",
}

DATA_FILE: dict[str, Any] = {
    "path": "N1039-1.tif",
    "size": 8356037,
    "time": "2017-07-24T13:56:30.000Z",
    "chk": "1234",
    "uid": "egon.meiera@psi.ch",
    "gid": "p16738",
    "perm": "-rw-rw-r--",
}

ORIG_DATABLOCK_V4_MIN: dict[str, Any] = {
    "ownerGroup": "p16738",
    "chkAlg": "Test-chkAlg",
    "size": 8356037,
    "dataFileList": [DATA_FILE],
}

DATABLOCK_CORRECT: dict[str, Any] = {
    "archiveId": "/archive/p16738/N1039.tar",
    "size": 41780189,
    "packedSize": 41780189,
    "chkAlg": "sha1",
    "version": "0.6.0",
    "dataFileList": [
        {key: value for key, value in DATA_FILE.items() if key != "chk"}
        | {"path": f"N1039-{n}.tif"}
        for n in range(1, 6)
    ],
}

ATTACHMENT_CORRECT_V3: dict[str, Any] = {
    "thumbnail": "data/abc123",
    "caption": "Some caption",
    "proposalId": "",
    "ownerGroup": "ess",
    "accessGroups": ["loki", "odin"],
}

ATTACHMENT_CORRECT_V4: dict[str, Any] = {
    "thumbnail": "data/abc123",
    "caption": "Some caption",
    "isPublished": True,
    "ownerGroup": "ess",
    "accessGroups": ["loki", "odin"],
    "relationships": [
        {
            "targetId": "testId1",
            "targetType": "dataset",
            "relationType": "is attached to",
        },
        {
            "targetId": "testId2",
            "targetType": "sample",
            "relationType": "is attached to",
        },
    ],
}
