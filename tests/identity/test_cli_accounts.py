"""`scicat seed-accounts` stores the file's accounts and says how many."""

from __future__ import annotations

import json

from cli import accounts as seed_cli
from cli.main import build_parser, main
from common.store import open_store


async def test_run_seeds_the_configured_store(settings_factory, tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            [{"username": "svc", "email": "svc@x", "password": "pw", "role": "r"}]
        )
    )
    settings = settings_factory(FUNCTIONAL_ACCOUNTS_FILE=path)
    assert await seed_cli.run(settings) == 1

    store = await open_store(settings)
    try:
        user = await store.collection("User").find_one({"username": "svc"})
        assert user["authStrategy"] == "local"
        assert await store.collection("Role").count_documents({"name": "r"}) == 1
    finally:
        await store.close()


def test_command_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps([{"username": "svc", "email": "svc@x", "password": "pw"}])
    )
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("EMBEDDED_STORE_PATH", str(tmp_path / "var"))
    monkeypatch.setenv("LOG_FORMAT", "console")
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert "seed-accounts" in build_parser().format_help()

    assert main(["seed-accounts", "--file", str(path)]) == 0
    assert "1 functional accounts" in capsys.readouterr().out


def test_command_line_reports_a_broken_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "accounts.json"
    path.write_text("not json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMBEDDED_STORE_PATH", str(tmp_path / "var"))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert main(["seed-accounts", "--file", str(path)]) == 1
    assert "functional accounts file" in capsys.readouterr().err
