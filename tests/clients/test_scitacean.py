"""scitacean (the client from PyPI) reading a dataset written through pyscicat."""

from __future__ import annotations

import uuid

import pytest
from pyscicat.client import ScicatClient
from pyscicat.model import (
    Attachment,
    CreateDatasetOrigDatablockDto,
    DataFile,
    RawDataset,
)
from scitacean import Client

from tests.clients.conftest import ScicatServer

pytestmark = pytest.mark.slow


def test_get_dataset_with_file_lists(scicat_server: ScicatServer) -> None:
    password = scicat_server.passwords["user1"]
    writer = ScicatClient(
        base_url=scicat_server.v3, username="user1", password=password
    )
    pid = writer.datasets_create(
        RawDataset(
            owner="Ada Lovelace",
            contactEmail="ada@facility.example",
            creationTime="2024-03-14T09:26:53.589Z",
            sourceFolder=f"/data/p10029/raw/{uuid.uuid4().hex[:8]}",
            ownerGroup="group1",
            creationLocation="/Facility/Beamline/P02",
            principalInvestigator="Charles Babbage",
            datasetName="scitacean read",
        )
    )
    writer.datasets_origdatablock_create(
        pid,
        CreateDatasetOrigDatablockDto(
            size=30,
            dataFileList=[
                DataFile(path="a/one.h5", size=10, time="2024-03-14T09:30:00Z"),
                DataFile(path="a/two.h5", size=20, time="2024-03-14T09:31:00Z"),
            ],
        ),
    )
    writer.datasets_attachment_create(
        Attachment(
            datasetId=pid,
            thumbnail="data:image/png;base64,iVBORw0KGgo=",
            caption="frame",
            ownerGroup="group1",
        )
    )

    client = Client.from_credentials(
        url=scicat_server.v3, username="user1", password=password, allow_http=True
    )
    dataset = client.get_dataset(pid, attachments=True)
    assert str(dataset.pid) == pid
    assert dataset.name == "scitacean read"
    assert dataset.principal_investigator == "Charles Babbage"
    assert sorted(f.remote_path.posix for f in dataset.files) == [
        "a/one.h5",
        "a/two.h5",
    ]
    assert dataset.size == 30
    assert dataset.attachments is not None
    assert [a.caption for a in dataset.attachments] == ["frame"]

    # An anonymous client reads public datasets only.
    public = Client.without_login(url=scicat_server.v3, allow_http=True)
    with pytest.raises(Exception, match=r"no such dataset|Cannot get dataset"):
        public.get_dataset(pid)
