"""The serving process's garbage-collector policy."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from common import collector


class Node:
    """A container that can sit in a reference cycle and be watched."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A two-node cycle nobody holds, watched through a weak reference."""
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture
def policy() -> Iterator[collector.FreezeAfterFullCollections]:
    gc.collect()
    installed = collector.install(rescan_every=3)
    try:
        yield installed
    finally:
        collector.uninstall()


def test_a_full_collection_freezes_its_survivors(
    policy: collector.FreezeAfterFullCollections,
) -> None:
    survivors = [[n] for n in range(100)]

    gc.collect()

    assert policy.full_collections == 1
    assert gc.get_freeze_count() >= len(survivors)


def test_cycles_made_after_a_freeze_are_still_collected(
    policy: collector.FreezeAfterFullCollections,
) -> None:
    gc.collect()  # freezes what exists now

    watched = cycle()
    gc.collect()

    assert watched() is None


def test_every_nth_full_collection_rescans_the_frozen_heap(
    policy: collector.FreezeAfterFullCollections,
) -> None:
    first, second = Node(), Node()
    first.other, second.other = second, first
    watched = weakref.ref(first)
    gc.collect()  # 1st: the live cycle is frozen

    del first, second
    gc.collect()  # 2nd: frozen garbage is not examined
    assert watched() is not None

    gc.collect()  # 3rd: unfreezes everything after it ran
    gc.collect()  # 4th: walks the whole heap, the cycle goes
    assert watched() is None


def test_young_collections_are_left_alone(
    policy: collector.FreezeAfterFullCollections,
) -> None:
    gc.collect(0)
    gc.collect(1)

    assert policy.full_collections == 0


def test_install_is_idempotent_and_uninstall_unfreezes() -> None:
    first = collector.install()
    try:
        assert collector.install() is first
        assert (
            sum(
                isinstance(c, collector.FreezeAfterFullCollections)
                for c in gc.callbacks
            )
            == 1
        )
        gc.collect()
        assert gc.get_freeze_count() > 0
    finally:
        collector.uninstall()

    assert gc.get_freeze_count() == 0
    assert not any(
        isinstance(c, collector.FreezeAfterFullCollections) for c in gc.callbacks
    )


def test_rescan_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        collector.FreezeAfterFullCollections(0)
