"""SI conversion with the unit strings SciCat's databases hold (mathjs spelling)."""

from __future__ import annotations

import math

import pytest

from common.units import UnitError, convert, si_unit, to_si


@pytest.mark.parametrize(
    ("value", "unit", "value_si", "unit_si"),
    [
        (5, "cm", 0.05, "m"),
        (3, "mm", 0.003, "m"),
        (2, "um", 2e-6, "m"),
        (2, "µm", 2e-6, "m"),
        (20, "degC", 293.15, "K"),
        (20, "celsius", 293.15, "K"),
        (300, "K", 300, "K"),
        (1, "eV", 1.602176634e-19, "(kg m^2) / s^2"),
        (1, "keV", 1.602176634e-16, "(kg m^2) / s^2"),
        (1, "Angstrom", 1e-10, "m"),
        (1, "Å", 1e-10, "m"),
        (1, "mbar", 100, "kg / (m s^2)"),
        (1, "Pa", 1, "kg / (m s^2)"),
        (50, "Hz", 50, "s^-1"),
        (2, "T", 2, "kg / (s^2 A)"),
        (180, "deg", math.pi, "rad"),
        (1, "W", 1, "(kg m^2) / s^3"),
        (1, "V", 1, "(kg m^2) / (s^3 A)"),
        (3, "m^2", 3, "m^2"),
        (1, "mol", 1, "mol"),
        (0.4, "s", 0.4, "s"),
        (2, "min", 120, "s"),
    ],
)
def test_to_si(value, unit, value_si, unit_si):
    got_value, got_unit = to_si(value, unit)
    assert got_unit == unit_si
    assert got_value == pytest.approx(value_si, rel=1e-12)


def test_whole_si_values_are_integers_like_javascript_numbers():
    value, _ = to_si(1, "mbar")
    assert value == 100 and isinstance(value, int)


def test_decomposed_nfd_angstrom_is_normalised():
    assert si_unit("A\u030a") == "m"


@pytest.mark.parametrize("unit", ["counts", "not-a-unit", "", "m" * 200, "1/"])
def test_bad_units_raise_unit_error(unit):
    with pytest.raises(UnitError):
        to_si(1, unit)


@pytest.mark.parametrize("value", ["5", None, True, [1]])
def test_non_numbers_raise_unit_error(value):
    with pytest.raises(UnitError):
        to_si(value, "m")


def test_convert_between_units():
    assert convert(1, "m", "cm") == 100
    assert convert(0, "degC", "K") == pytest.approx(273.15)
    assert convert(1, "keV", "eV") == pytest.approx(1000)
    with pytest.raises(UnitError):
        convert(1, "m", "s")


def test_conversions_are_cached_per_unit():
    from common.units import _si_plan

    to_si(1, "mm")
    before = _si_plan.cache_info().hits
    for _ in range(100):
        to_si(2, "mm")
    assert _si_plan.cache_info().hits >= before + 100


def test_concurrent_first_uses_share_one_registry():
    from concurrent.futures import ThreadPoolExecutor

    from common import units

    units._build_registry.cache_clear()
    with ThreadPoolExecutor(4) as pool:
        registries = list(pool.map(lambda _: units._registry(), range(4)))
    assert all(registry is registries[0] for registry in registries)
    assert to_si(1, "mm") == (0.001, "m")
