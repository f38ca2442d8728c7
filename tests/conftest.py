"""Suite-wide fixtures. Each area keeps its fixtures in ``tests/fixtures/<area>.py``."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.fixtures.store",
    "tests.fixtures.scicat_db",
    "tests.fixtures.smtp",
    "tests.fixtures.rabbit",
    "tests.fixtures.accounts",
    "tests.fixtures.api",
    "tests.fixtures.catalogue_api",
]
