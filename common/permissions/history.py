"""Who may read which History rows (reference §3.14, §5.3, §10.2).

Admins read the history of every collection; members of a
``HISTORY_ACCESS_<X>_GROUPS`` list read that collection's rows only. The
endpoint is open to whoever may read at least one collection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.identity.principal import Identity
from common.permissions.groups import member_of
from common.settings import Settings

__all__ = ["HistoryAccess"]


@dataclass(frozen=True, slots=True)
class HistoryAccess:
    """The admin groups and, per History ``subsystem``, the groups that read it."""

    admin: frozenset[str]
    readers: Mapping[str, frozenset[str]]

    @classmethod
    def from_settings(cls, settings: Settings) -> HistoryAccess:
        return cls(
            admin=frozenset(settings.ADMIN_GROUPS),
            readers={
                "Dataset": frozenset(settings.HISTORY_ACCESS_DATASET_GROUPS),
                "Proposal": frozenset(settings.HISTORY_ACCESS_PROPOSAL_GROUPS),
                "Sample": frozenset(settings.HISTORY_ACCESS_SAMPLE_GROUPS),
                "Instrument": frozenset(settings.HISTORY_ACCESS_INSTRUMENT_GROUPS),
                "PublishedData": frozenset(
                    settings.HISTORY_ACCESS_PUBLISHED_DATA_GROUPS
                ),
                "Policy": frozenset(settings.HISTORY_ACCESS_POLICIES_GROUPS),
                "Datablock": frozenset(settings.HISTORY_ACCESS_DATABLOCK_GROUPS),
                "Attachment": frozenset(settings.HISTORY_ACCESS_ATTACHMENT_GROUPS),
            },
        )

    def reads_all(self, identity: Identity) -> bool:
        """Admins read every collection's history, without naming one."""
        return member_of(identity, self.admin)

    def endpoint_allows(self, identity: Identity) -> bool:
        """The route gate: admins and members of any history group."""
        return self.reads_all(identity) or any(
            member_of(identity, groups) for groups in self.readers.values()
        )

    def may_read(self, identity: Identity, subsystem: str) -> bool:
        """Whether the caller may read the rows of ``subsystem``."""
        if self.reads_all(identity):
            return True
        groups = self.readers.get(subsystem)
        return groups is not None and member_of(identity, groups)
