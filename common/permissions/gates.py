"""Route gates: SciCat's 401-versus-403 edge, decided once for both edges.

An ordinary gate (SciCat's ``PoliciesGuard``) answers 403 ``Forbidden resource``
even to anonymous callers; an "authenticated" gate (``AuthenticatedPoliciesGuard``)
first answers 401 ``Unauthenticated`` when there is no caller (reference §0).
"""

from __future__ import annotations

from common.errors import ForbiddenError, UnauthenticatedError
from common.identity.principal import Identity

FORBIDDEN_RESOURCE = "Forbidden resource"
UNAUTHENTICATED = "Unauthenticated"


def require_authenticated(identity: Identity) -> None:
    """Raise :class:`UnauthenticatedError` for the anonymous caller."""
    if identity.is_anonymous:
        raise UnauthenticatedError(UNAUTHENTICATED)


def require_gate(
    identity: Identity, allowed: bool, *, authenticated: bool = False
) -> None:
    """Pass, or raise 401 (authenticated gates only) or 403 as SciCat does."""
    if authenticated:
        require_authenticated(identity)
    if not allowed:
        raise ForbiddenError(FORBIDDEN_RESOURCE)
