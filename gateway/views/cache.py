"""Computed brief sections, kept per scope while the facts they were computed from hold."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

from gateway.views.scope import Scope


class SectionCache:
    """The sections last computed per scope, valid while the store's `facts_version` is the
    one they were computed at (a trigger bumps it on every change to the facts): a meeting's
    viewers, the dashboard's exports and a freeze reuse one computation. Per process, bounded,
    least recently used out first. Callers get copies: shaping a brief mutates it."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[Scope, tuple[int, dict[str, Any]]] = OrderedDict()

    def get(self, scope: Scope, version: int) -> dict[str, Any] | None:
        found = self._entries.get(scope)
        if found is None or found[0] != version:
            return None
        self._entries.move_to_end(scope)
        return copy.deepcopy(found[1])

    def put(self, scope: Scope, version: int, sections: dict[str, Any]) -> None:
        self._entries[scope] = (version, copy.deepcopy(sections))
        self._entries.move_to_end(scope)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
