"""``scicat publish`` and ``scicat dead list|replay`` against a running worker."""

from __future__ import annotations

import asyncio
import json

import pytest

from cli.main import main
from tests.services.conftest import raw_dataset

pytestmark = pytest.mark.rabbit


@pytest.fixture
def cli_env(ingest, monkeypatch, tmp_path):
    """The CLI reads the worker's settings from the environment, never a .env."""
    monkeypatch.chdir(tmp_path)
    settings = ingest.settings
    for name in (
        "AMQP_NAMESPACE",
        "JWT_SECRET",
        "RABBITMQ_HOSTNAME",
        "RABBITMQ_PORT",
        "RABBITMQ_USERNAME",
        "RABBITMQ_PASSWORD",
    ):
        monkeypatch.setenv(name, str(getattr(settings, name)))
    return ingest


async def scicat(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_publish_files_and_print_the_replies(cli_env, tmp_path, capsys):
    token = await cli_env.accounts.token("user1")
    single = tmp_path / "one.json"
    single.write_text(json.dumps(raw_dataset(sourceFolder="/data/a")))
    several = tmp_path / "two.json"
    several.write_text(
        json.dumps(
            [raw_dataset(sourceFolder="/data/b"), raw_dataset(sourceFolder="/c")]
        )
    )

    code = await scicat(
        "publish",
        "dataset",
        str(single),
        str(several),
        "--token",
        token,
        "--wait",
        "--stable-ids",
    )
    first = lines(capsys.readouterr().out)
    again = await scicat(
        "publish",
        "dataset.create",
        str(single),
        "--token",
        token,
        "--wait",
        "--stable-ids",
    )
    repeated = lines(capsys.readouterr().out)

    assert code == 0
    assert sorted(r["source"] for r in first) == [
        f"{single}#0",
        f"{several}#0",
        f"{several}#1",
    ]
    assert {r["status"] for r in first} == {"created"}
    assert again == 0
    assert repeated[0]["status"] == "duplicate"
    assert await cli_env.count("Dataset") == 3


async def test_publish_exit_codes_say_what_went_wrong(cli_env, tmp_path, capsys):
    token = await cli_env.accounts.token("user1")
    forbidden = tmp_path / "forbidden.json"
    forbidden.write_text(json.dumps(raw_dataset(ownerGroup="group2")))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")

    rejected = await scicat(
        "publish", "dataset", str(forbidden), "--token", token, "--wait"
    )
    reply = lines(capsys.readouterr().out)[0]
    unknown = await scicat("publish", "sample", str(forbidden))
    unreadable = await scicat("publish", "dataset", str(broken))

    assert rejected == 1
    assert reply["error"]["code"] == "forbidden"
    assert unknown == 2
    assert unreadable == 2
    assert "broken.json" in capsys.readouterr().err


async def dead_queue_depth(ingest) -> int:
    queue = await ingest.channel.declare_queue(
        f"{ingest.settings.AMQP_NAMESPACE}.dead", passive=True
    )
    return queue.declaration_result.message_count


async def test_dead_list_keeps_order_and_replay_after_a_fix_creates(cli_env, capsys):
    ingest = cli_env
    forbidden_ids = [f"forbidden-{n}" for n in range(5)]
    for message_id in forbidden_ids:
        await ingest.reply(
            await ingest.publish(
                "dataset.create",
                raw_dataset(ownerGroup="group2"),
                message_id=message_id,
            )
        )
    await ingest.reply(
        await ingest.publish("dataset.create", b"{broken", message_id="broken-0")
    )
    expected = [*forbidden_ids, "broken-0"]

    listed = []
    for _ in range(3):
        assert await scicat("dead", "list", "--json") == 0
        listed.append([d["messageId"] for d in lines(capsys.readouterr().out)])
    only_forbidden = await scicat("dead", "list", "--code", "forbidden", "--json")
    forbidden_listed = lines(capsys.readouterr().out)

    assert listed == [expected] * 3
    assert await dead_queue_depth(ingest) == 6
    assert only_forbidden == 0
    assert [d["code"] for d in forbidden_listed] == ["forbidden"] * 5
    assert forbidden_listed[0]["routingKey"] == "dataset.create"
    assert forbidden_listed[0]["attempts"] == 1

    # the fix: user1 joins group2 (groups are recomputed for every message)
    user = await ingest.accounts.user("user1")
    await ingest.store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$addToSet": {"profile.accessGroups": "group2"}}
    )
    for key in list(ingest.replies):
        ingest.replies[key] = asyncio.get_running_loop().create_future()

    replayed = await scicat("dead", "replay", "--code", "forbidden")
    capsys.readouterr()
    results = [await ingest.reply(key) for key in list(ingest.replies)[:5]]

    assert replayed == 0
    assert {r["status"] for r in results} == {"created"}
    assert await ingest.count("Dataset", {"ownerGroup": "group2"}) == 5
    assert await scicat("dead", "list", "--json") == 0
    assert [d["messageId"] for d in lines(capsys.readouterr().out)] == ["broken-0"]
