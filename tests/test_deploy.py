"""deploy/: the image and compose file agree with the code (no Docker here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from cli.main import build_parser
from common.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SCICAT_SERVICES = ("migrate", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def test_compose_has_the_system_and_its_services(compose):
    services = compose["services"]

    assert set(services) >= {*SCICAT_SERVICES, "mongodb", "rabbitmq", "elasticsearch"}
    assert any("mailpit" in spec.get("image", "") for spec in services.values())


def test_every_dependency_names_a_service(compose):
    services = compose["services"]
    for name, spec in services.items():
        for dependency in spec.get("depends_on", {}):
            assert dependency in services, (name, dependency)


@pytest.mark.parametrize("service", SCICAT_SERVICES)
def test_scicat_services_set_only_real_settings(compose, service):
    environment = compose["services"][service]["environment"]

    unknown = set(environment) - set(Settings.model_fields)
    assert unknown == set()


@pytest.mark.parametrize("service", SCICAT_SERVICES)
def test_scicat_services_run_registered_commands(compose, service):
    command = compose["services"][service]["command"]

    args = build_parser().parse_args(command)
    assert callable(args.handler)


_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""

    def replace(match: re.Match[str]) -> str:
        name, kind, text = match.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return text
        raise AssertionError(f"compose requires {name}: {text}")

    return _VARIABLE.sub(replace, value)


def test_compose_settings_are_valid_settings(compose):
    outside = {"JWT_SECRET": "x" * 48}
    environment = {
        key: _interpolate(str(value), outside)
        for key, value in compose["services"]["api"]["environment"].items()
    }

    settings = Settings(_env_file=None, **environment)  # type: ignore[call-arg]

    assert settings.MONGODB_URI == "mongodb://mongodb:27017/scicat"
    assert settings.amqp_url == "amqp://scicat:scicat@rabbitmq:5672/%2F"
    assert settings.ELASTICSEARCH_ENABLED is True
    assert settings.JWT_SECRET == "x" * 48


def test_compose_refuses_to_start_without_a_jwt_secret(compose):
    secret = compose["services"]["api"]["environment"]["JWT_SECRET"]

    with pytest.raises(AssertionError, match="JWT_SECRET"):
        _interpolate(secret, {})


def test_image_runs_scicat_all_on_the_default_port(dockerfile):
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.MULTILINE)
    command = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE)
    assert entrypoint and command
    argv = yaml.safe_load(entrypoint.group(1)) + yaml.safe_load(command.group(1))

    assert argv == ["scicat", "all"]
    assert build_parser().parse_args(argv[1:]).handler
    assert f"EXPOSE {Settings.model_fields['PORT'].default}" in dockerfile
    assert "/api/v3/health" in dockerfile


def test_image_copies_every_package(dockerfile):
    copied = {
        shlex.split(line)[1]
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from" not in line
    }
    packages = {"common", "ingest_worker", "read_api", "migrations", "cli"}

    assert packages <= copied
