"""The calls each conversation's last answer was about, so that a follow-up can continue them.

"And the deadline?" after a question about one call means that call's deadline. What is kept is
only call ids, per chat and user, in memory, for a short while: nothing personal, nothing on disk.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

# A follow-up comes within minutes; after half an hour a short question stands on its own.
FOLLOW_UP_SECONDS = 30 * 60
# Bounded like the storage's user cache: the oldest conversations are dropped first.
MAX_CONVERSATIONS = 20_000


class RecentCalls:
    """Per conversation key: the call ids of its last answer, for FOLLOW_UP_SECONDS."""

    def __init__(
        self,
        seconds: float = FOLLOW_UP_SECONDS,
        size: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds, self._size, self._clock = seconds, size, clock
        self._calls: OrderedDict[Hashable, tuple[float, tuple[str, ...]]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[str, ...]:
        """The calls of the conversation's last answer, or () when there was none lately."""
        found = self._calls.get(key)
        if found is None or self._clock() - found[0] > self._seconds:
            return ()
        return found[1]

    def put(self, key: Hashable, calls: tuple[str, ...]) -> None:
        """Remember an answer's calls; an answer about no call keeps the earlier ones."""
        if not calls:
            return
        self._calls[key] = (self._clock(), calls)
        self._calls.move_to_end(key)
        while len(self._calls) > self._size:
            self._calls.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """Drop every conversation of a user (keys are (chat id, user id))."""
        for key in [k for k in self._calls if isinstance(k, tuple) and k[-1] == user_id]:
            del self._calls[key]
