"""deploy/: the image and compose file agree with the code (no Docker here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import build_parser
from common.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SCICAT_SERVICES = ("migrate", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


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

    settings = Settings.model_validate(environment)

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


# --- Kubernetes ---------------------------------------------------------------

K8S = DEPLOY / "k8s"


@pytest.fixture(scope="module")
def k8s() -> dict[str, dict[str, Any]]:
    """Every manifest listed by the kustomization, by kind and name."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents: dict[str, dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for document in yaml.safe_load_all((K8S / resource).read_text()):
            documents[f"{document['kind']}/{document['metadata']['name']}"] = document
    return documents


WORKLOADS = ("Deployment/scicat-api", "Deployment/scicat-worker")


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = document["spec"]["template"]["spec"][
        "containers"
    ]
    return containers


def test_k8s_has_the_migration_the_api_and_the_worker(k8s):
    assert {
        "Job/scicat-migrate",
        "Deployment/scicat-api",
        "Service/scicat-api",
        "Deployment/scicat-worker",
        "ConfigMap/scicat-settings",
    } <= set(k8s)


def test_k8s_settings_are_real_settings(k8s):
    data = k8s["ConfigMap/scicat-settings"]["data"]

    assert set(data) - set(Settings.model_fields) == set()
    Settings.model_validate(data)


def test_k8s_containers_run_registered_commands(k8s):
    parser = build_parser()
    workloads = (
        "Job/scicat-migrate",
        "Deployment/scicat-api",
        "Deployment/scicat-worker",
    )
    for name in workloads:
        for container in _containers(k8s[name]):
            assert callable(parser.parse_args(container["args"]).handler), name
            for item in container.get("env", []):
                assert item["name"] in Settings.model_fields


def test_k8s_api_probes_health_on_its_port(k8s):
    (api,) = _containers(k8s["Deployment/scicat-api"])
    port = {p["name"]: p["containerPort"] for p in api["ports"]}["http"]
    env = {item["name"]: item["value"] for item in api["env"]}

    assert int(env["PORT"]) == port
    for probe in ("readinessProbe", "livenessProbe"):
        assert api[probe]["httpGet"]["path"] == "/api/v3/health"
        assert api[probe]["httpGet"]["port"] == "http"


def test_image_user_is_numeric_for_run_as_non_root(dockerfile):
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)

    assert users and users[-1].isdigit()
