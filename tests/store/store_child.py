"""Child process for the durability and lock tests (run with ``python -m``).

write <folder> <count>   insert documents from 8 concurrent writers, printing
                         each _id once its insert has returned
open <folder>            open the store, print the outcome, exit
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from common.store import EmbeddedStore, StoreLockedError


async def write(folder: Path, count: int) -> None:
    store = EmbeddedStore(folder)
    await store.open()
    collection = store.collection("Dataset")
    numbers = iter(range(count))

    async def writer() -> None:
        for number in numbers:
            await collection.insert_one(
                {"_id": f"pid/{number}", "pid": f"pid/{number}", "size": number}
            )
            sys.stdout.write(f"{number}\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer() for _ in range(8)))
    await store.close()


async def open_only(folder: Path) -> int:
    store = EmbeddedStore(folder)
    try:
        await store.open()
    except StoreLockedError as exc:
        print(f"locked: {exc}")
        return 3
    print("opened")
    await store.close()
    return 0


def main() -> int:
    action, folder = sys.argv[1], Path(sys.argv[2])
    if action == "write":
        asyncio.run(write(folder, int(sys.argv[3])))
        return 0
    return asyncio.run(open_only(folder))


if __name__ == "__main__":
    sys.exit(main())
