"""Background tasks a component owns (the sync scheduler, the definitions watcher, the events
listener): started in the app's lifespan, ended with it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def ended(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it has unwound (its `finally` blocks ran)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
