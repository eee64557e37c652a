"""LFU access marks (redis ``evict.c``, "LFU (Least Frequently Used) implementation").

Under an LFU policy each key's access mark is Redis's 24 bits: the last
decrement time in minutes (16 bits) and a logarithmic counter (8 bits),
shifted left by one for the fetched bit the keyspace keeps in every mark.  A
new key starts at ``LFU_INIT_VAL``; an access first decays the counter by
one per ``lfu-decay-time`` minutes since the last decrement, then increments
it with probability ``1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1)``,
so a counter of 255 takes about a million accesses at the default factor.

``LfuAccess`` is the access dict under LFU: the keyspace's hot paths store
a mark with ``access[key] = mark`` whatever the policy, and this dict's
``__setitem__`` turns the store into the counter update.  Under LRU the dict
is a plain dict and the store costs nothing more.
"""

from __future__ import annotations

import random
import time

__all__ = ["LFU_INIT_VAL", "Lfu", "LfuAccess", "counter_of", "lfu_mark"]

LFU_INIT_VAL = 5


class Lfu:
    """The LFU settings and the minutes clock, shared by every access dict.

    ``marks`` holds the 512 possible marks of the current minute (counter and
    fetched bit), so every key stores a shared int object, as under LRU,
    instead of an int of its own."""

    __slots__ = ("decay_time", "log_factor", "marks", "minutes")

    def __init__(self, log_factor: int = 10, decay_time: int = 1) -> None:
        self.log_factor = log_factor  # lfu-log-factor
        self.decay_time = decay_time  # lfu-decay-time, minutes
        self.minutes = -1
        self.marks: list[int] = []
        self.tick()

    def tick(self) -> None:
        minutes = (int(time.time()) // 60) & 0xFFFF
        if minutes != self.minutes:
            self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        base = minutes << 9
        self.marks = [base | i for i in range(512)]


def counter_of(lfu: Lfu, mark: int) -> int:
    """The counter of a mark after its decay (redis ``LFUDecrAndReturn``); the
    mark itself is not changed."""
    v = mark >> 1
    counter = v & 255
    if lfu.decay_time:
        ldt = (v >> 8) & 0xFFFF  # (an LRU mark read as LFU has more bits)
        now = lfu.minutes
        elapsed = now - ldt if now >= ldt else 65535 - ldt + now
        periods = elapsed // lfu.decay_time
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


def lfu_mark(lfu: Lfu, counter: int, fetched: int) -> int:
    return lfu.marks[counter << 1 | fetched]


class LfuAccess(dict[bytes, int]):
    """An access dict whose stores update LFU counters (see the module docstring)."""

    __slots__ = ("lfu",)

    def __init__(self, lfu: Lfu) -> None:
        super().__init__()
        self.lfu = lfu

    def __setitem__(self, key: bytes, mark: int) -> None:
        lfu = self.lfu
        old = self.get(key)
        if old is None:  # a new key (redis createObject)
            counter = LFU_INIT_VAL
        else:  # redis updateLFU: decay, then LFULogIncr
            counter = counter_of(lfu, old)
            if counter < 255:
                base = counter - LFU_INIT_VAL
                if base < 0:
                    base = 0
                if random.random() < 1.0 / (base * lfu.log_factor + 1):
                    counter += 1
        dict.__setitem__(self, key, lfu.marks[counter << 1 | (mark & 1)])
