"""Uniform random draws from a set's members or a dict's keys in O(1) expected.

Python's set and dict have no random access, so a collection that is asked
for random elements (SPOP, SRANDMEMBER, HRANDFIELD) keeps ``arr``, a list of
references to its elements, built on the first draw (8 bytes per element;
a member -> index map would cost about 40).  Additions append to it.  A
removal, which does not know the element's slot, leaves a tombstone: the
element goes to ``grave`` and a draw that lands on it drops it and draws
again; ``arr`` is rebuilt once half of it is dead.  Small collections are
walked instead and keep no list.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import islice
from typing import cast

__all__ = ["RandomDraws"]

# up to this size a draw walks the collection instead of keeping ``arr``
SMALL = 64


class RandomDraws:
    """Mixin for a ``set`` or ``dict`` subclass that declares the slots
    ``arr`` and ``grave`` (both None until the first draw)."""

    # No slots of its own: a second base with slots would clash with the
    # builtin's layout, so the subclass declares ``arr`` and ``grave`` (hence
    # the type: ignore[misc] on the assignments below).
    __slots__ = ()

    arr: list[bytes] | None
    grave: set[bytes] | None

    def _elements(self) -> list[bytes]:
        return list(cast(Iterable[bytes], self))

    def _size(self) -> int:
        return len(cast(list[bytes], self))

    def _note_added(self, m: bytes) -> None:
        """``m`` was just added."""
        arr = self.arr
        if arr is not None:
            grave = self.grave
            if grave and m in grave:
                grave.remove(m)  # its old slot in arr is live again
            else:
                arr.append(m)

    def _note_removed(self, m: bytes) -> None:
        """``m`` was just removed."""
        arr = self.arr
        if arr is not None:
            grave = self.grave
            if grave is None:
                grave = self.grave = set()  # type: ignore[misc]
            grave.add(m)
            if len(grave) > 32 and 2 * len(grave) > len(arr):
                self.arr = self._elements()  # type: ignore[misc]
                self.grave = None  # type: ignore[misc]

    def _pick(self) -> tuple[list[bytes], int, bytes]:
        """``arr`` (built on first use), a uniformly random live slot and its element."""
        arr = self.arr
        if arr is None:
            arr = self.arr = self._elements()  # type: ignore[misc]
        grave = self.grave
        rnd = random.random
        while True:
            # floor(random() * n) is uniform to within n / 2**53
            i = int(rnd() * len(arr))
            m = arr[i]
            if not grave or m not in grave:
                return arr, i, m
            swap_remove(arr, i)  # a tombstone: drop it and draw again
            grave.remove(m)

    def random_one(self) -> bytes:
        """One random element (the collection is not empty)."""
        n = self._size()
        if self.arr is None and n <= SMALL:
            return next(islice(cast(Iterable[bytes], self), random.randrange(n), None))
        return self._pick()[2]

    def sample(self, k: int) -> list[bytes]:
        """``k`` distinct random elements, 0 < k < len: O(k)."""
        n = self._size()
        if 3 * k > n or (self.arr is None and n <= SMALL):
            return random.sample(self._elements(), k)  # n < 3k: O(n) is O(k)
        out: dict[bytes, None] = {}
        pick = self._pick
        while len(out) < k:  # few repeats: k is at most a third of the collection
            out[pick()[2]] = None
        return list(out)

    def choices(self, k: int) -> list[bytes]:
        """``k`` random elements drawn with replacement: O(k)."""
        if self.arr is None and self._size() <= SMALL:
            return random.choices(self._elements(), k=k)
        if self.arr is None or (self.grave and k >= len(self.arr)):
            # built once per collection (later writes keep it), or rebuilt in O(n) <= O(k)
            self.arr, self.grave = self._elements(), None  # type: ignore[misc]
        if not self.grave:
            return random.choices(self.arr, k=k)
        pick = self._pick
        return [pick()[2] for _ in range(k)]


def swap_remove(arr: list[bytes], i: int) -> None:
    """Remove ``arr[i]`` in O(1) by moving the last element into its place."""
    last = arr.pop()
    if i < len(arr):
        arr[i] = last
