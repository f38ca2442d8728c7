"""Physical units: SI values as SciCat stores them (``valueSI``/``unitSI``).

SciCat converts with mathjs and stores mathjs's spelling of the SI unit
(``m``, ``K``, ``(kg m^2) / s^2``, ``kg / (m s^2)``, ``s^-1``, ``rad``). We
convert with pint and print the unit the way mathjs does, so existing
databases and new documents agree. Each unit string is parsed once: the
conversion is cached as ``value_si = offset + scale * value``.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pint

logger = logging.getLogger(__name__)

MAX_UNIT_LENGTH = 100

# mathjs's SI base units, in the order it prints them (its BASE_DIMENSIONS).
_SI_BASE: tuple[tuple[str, str], ...] = (
    ("gram", "kg"),
    ("meter", "m"),
    ("second", "s"),
    ("ampere", "A"),
    ("kelvin", "K"),
    ("candela", "cd"),
    ("mole", "mol"),
    ("radian", "rad"),
    ("bit", "b"),
)
_PINT_SI = {"gram": "kilogram"}


class UnitError(ValueError):
    """The unit is unknown or the conversion is impossible."""


@dataclass(frozen=True, slots=True)
class _Affine:
    offset: float
    scale: float

    def apply(self, value: float) -> float:
        return self.offset + self.scale * value


# Built once per process; the lock keeps a warm-up thread and a first
# conversion from building two registries whose units could not be mixed.
_REGISTRY_LOCK = threading.Lock()


def load_registry() -> None:
    """Build the unit registry now (about a second) instead of at the first use."""
    _registry()


def _registry() -> Any:
    with _REGISTRY_LOCK:
        return _build_registry()


@lru_cache(maxsize=1)
def _build_registry() -> Any:
    registry: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=False)
    # mathjs knows Å (SciCat registers it) and lower-case angstrom; accept
    # the capitalised spelling as well.
    registry.define("@alias angstrom = Angstrom")
    return registry


def _normalise(unit: str) -> str:
    return unicodedata.normalize("NFC", unit.strip())


def _parse(unit: str) -> Any:
    if not unit or len(unit) > MAX_UNIT_LENGTH:
        raise UnitError(f"unsupported unit {unit!r}")
    try:
        return _registry().parse_units(unit)
    # pint's parser raises many kinds of errors for malformed strings.
    except Exception as error:
        raise UnitError(f"unknown unit {unit!r}: {error}") from error


def _format_mathjs(powers: list[tuple[str, float]]) -> str:
    """Print a unit list the way mathjs's ``formatUnits`` does."""

    def power_text(power: float) -> str:
        return str(int(power)) if float(power).is_integer() else str(power)

    numerator = [
        name if power == 1 else f"{name}^{power_text(power)}"
        for name, power in powers
        if power > 0
    ]
    negatives = [(name, power) for name, power in powers if power < 0]
    if numerator:
        denominator = [
            name if power == -1 else f"{name}^{power_text(-power)}"
            for name, power in negatives
        ]
    else:
        denominator = [f"{name}^{power_text(power)}" for name, power in negatives]
    num_text = " ".join(numerator)
    den_text = " ".join(denominator)
    if len(numerator) > 1 and denominator:
        num_text = f"({num_text})"
    if len(denominator) > 1 and numerator:
        den_text = f"({den_text})"
    if numerator and denominator:
        return f"{num_text} / {den_text}"
    return num_text or den_text


@lru_cache(maxsize=4096)
def _si_plan(unit: str) -> tuple[_Affine, str]:
    parsed = _parse(unit)
    registry = _registry()
    root = registry.Quantity(1.0, parsed).to_root_units()
    roots = dict(root.unit_items())
    known = {pint_name for pint_name, _ in _SI_BASE}
    unknown = set(roots) - known
    if unknown:
        raise UnitError(f"{unit!r} has no SI form ({', '.join(sorted(unknown))})")
    powers = [
        (label, float(roots[pint_name]))
        for pint_name, label in _SI_BASE
        if roots.get(pint_name)
    ]
    target = registry.Unit(
        " * ".join(
            f"{_PINT_SI.get(name, name)} ** {roots[name]}"
            for name, _ in _SI_BASE
            if roots.get(name)
        )
        or "dimensionless"
    )
    return _affine(parsed, target), _format_mathjs(powers)


def _affine(source: Any, target: Any) -> _Affine:
    registry = _registry()
    try:
        zero = registry.Quantity(0.0, source).to(target).magnitude
        one = registry.Quantity(1.0, source).to(target).magnitude
    # Offset units inside products (degC/min) and similar raise pint errors.
    except Exception as error:
        raise UnitError(f"cannot convert {source} to {target}: {error}") from error
    return _Affine(float(zero), float(one) - float(zero))


@lru_cache(maxsize=4096)
def _pair_plan(source: str, target: str) -> _Affine:
    return _affine(_parse(source), _parse(target))


def _js_number(value: float) -> float | int:
    """JavaScript has one number type: whole results are printed without ``.0``."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def si_unit(unit: str) -> str:
    """The SI unit string SciCat stores for ``unit`` (mathjs spelling)."""
    return _si_plan(_normalise(unit))[1]


def to_si(value: float, unit: str) -> tuple[float | int, str]:
    """``value`` in ``unit`` as (SI value, SI unit); raises UnitError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitError(f"not a number: {value!r}")
    plan, unit_si = _si_plan(_normalise(unit))
    return _js_number(plan.apply(float(value))), unit_si


def convert(value: float, from_unit: str, to_unit: str) -> float | int:
    """``value`` in ``from_unit`` expressed in ``to_unit``; raises UnitError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitError(f"not a number: {value!r}")
    plan = _pair_plan(_normalise(from_unit), _normalise(to_unit))
    return _js_number(plan.apply(float(value)))
