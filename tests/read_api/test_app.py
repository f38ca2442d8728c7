"""create_app mounts the discovered route groups once, with explorer and metrics."""

from __future__ import annotations

from read_api.app import create_app, discover_route_groups
from read_api.keys import ROUTER, SERVICES, SETTINGS, STORE


def test_discovery_finds_each_route_group_once():
    groups = discover_route_groups()

    assert len({id(group) for group in groups}) == len(groups)
    paths = {route.path for group in groups for route in group}
    assert "/api/v3/health" in paths
    assert "/metrics" in paths


def test_app_carries_its_settings_store_and_router(settings, stub_store):
    app = create_app(settings, store=stub_store)

    assert app[SETTINGS] is settings
    assert app[STORE] is stub_store
    served = {(route.method, route.path) for route in app[ROUTER].routes}
    assert ("GET", "/api/v3/health") in served
    assert ("GET", "/explorer") in served
    assert ("GET", "/explorer-json") in served


def test_services_container_is_typed_by_class(settings):
    class Mailer:
        pass

    app = create_app(settings, route_groups=[])
    mailer = Mailer()
    app[SERVICES].add(Mailer, mailer)

    assert app[SERVICES].get(Mailer) is mailer
    assert Mailer in app[SERVICES]


async def test_swagger_path_setting_moves_the_explorer(
    api_client_factory, settings_factory
):
    client = await api_client_factory(
        settings=settings_factory(SWAGGER_PATH="docs"), route_groups=[]
    )

    assert (await client.get("/docs")).status == 200
    assert (await client.get("/docs-json")).status == 200
    assert (await client.get("/explorer")).status == 404
