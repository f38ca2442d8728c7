from __future__ import annotations

import json
import logging

import pytest

from common.logging import configure_logging, request_id_var


@pytest.fixture(autouse=True)
def _restore_root_logger():
    """configure_logging replaces the root handlers; give pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_extra_fields_and_the_request_id(capsys):
    configure_logging("INFO", "json")
    token = request_id_var.set("req-1")
    try:
        logging.getLogger("tests.logging").info(
            "dataset created", extra={"pid": "p/1", "size": 3}
        )
    finally:
        request_id_var.reset(token)

    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "dataset created"
    assert record["level"] == "info"
    assert record["logger"] == "tests.logging"
    assert record["pid"] == "p/1"
    assert record["size"] == 3
    assert record["request_id"] == "req-1"


def test_level_filters_below_the_configured_one(capsys):
    configure_logging("WARNING", "json")
    logging.getLogger("tests.logging").info("quiet")
    logging.getLogger("tests.logging").warning("loud")
    err = capsys.readouterr().err
    assert "quiet" not in err
    assert "loud" in err
