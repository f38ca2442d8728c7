from __future__ import annotations

import pytest

from common.settings import Settings, parse_size, unimplemented_in_environment


def test_group_lists_are_split_and_trimmed():
    s = Settings(_env_file=None, ADMIN_GROUPS="admin, adminingestor,,")
    assert s.ADMIN_GROUPS == ["admin", "adminingestor"]


def test_scicat_defaults():
    s = Settings(_env_file=None)
    assert s.PORT == 3000
    assert s.CREATE_DATASET_GROUPS == ["#all"]
    assert s.ADMIN_GROUPS == []
    assert s.max_body_bytes == 16 * 1024 * 1024


def test_yes_no_booleans():
    assert Settings(_env_file=None, RABBITMQ_ENABLED="yes").RABBITMQ_ENABLED is True
    assert Settings(_env_file=None, RABBITMQ_ENABLED="no").RABBITMQ_ENABLED is False


@pytest.mark.parametrize(
    ("text", "size"), [("16mb", 16 * 1024**2), ("100kb", 102400), ("512", 512)]
)
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_environment_is_read(monkeypatch):
    monkeypatch.setenv("PID_PREFIX", "20.500.12345")
    monkeypatch.setenv("INGEST_RETRY_DELAYS", "1,2.5")
    s = Settings(_env_file=None)
    assert s.PID_PREFIX == "20.500.12345"
    assert s.INGEST_RETRY_DELAYS == [1.0, 2.5]


def test_unimplemented_settings_are_named():
    names = unimplemented_in_environment({"LDAP_URL": "ldap://x", "PORT": "1"})
    assert names == ["LDAP_URL"]


def test_env_example_lists_only_real_settings():
    """Every variable `.env.example` sets is one the Settings object reads."""
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / ".env.example"
    names = [
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names, ".env.example sets nothing"
    unknown = [name for name in names if name not in Settings.model_fields]
    assert unknown == []
    Settings(_env_file=example)  # and the values parse
