"""A bounded memo for pure functions over text: the same input is worked out once.

A long history shows the same wordings version after version (a page changes by one
incident at a time), so normalising, parsing and hashing them again is the bulk of an
import. The memo keeps two generations: when the newer one holds `budget` characters of
keys it becomes the older one and the oldest is dropped, so what the last versions used
stays and memory stays bounded whatever the history's length.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class Memo(Generic[K, V]):
    """`memo.get(key, compute)`: the value remembered for `key`, or `compute()` remembered."""

    def __init__(self, budget: int, weight: Callable[[K], int] = len):  # type: ignore[assignment]
        self.budget = budget
        self.weight = weight
        self._new: dict[K, V] = {}
        self._old: dict[K, V] = {}
        self._held = 0

    def get(self, key: K, compute: Callable[[], V]) -> V:
        found = self._new.get(key, _MISSING)  # not a KeyError: most first calls miss
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        kept = self._old.pop(key, _MISSING)  # one call: safe beside other threads
        value: V = compute() if kept is _MISSING else kept  # type: ignore[assignment]
        # Kept here rather than in a method of its own: most calls on new data end here, and
        # a call costs as much as the rest of the bookkeeping.
        self._held += self.weight(key)
        if self._held > self.budget:
            self._old, self._new, self._held = self._new, {}, self.weight(key)
        self._new[key] = value
        return value

    def clear(self) -> None:
        self._new.clear()
        self._old.clear()
        self._held = 0
