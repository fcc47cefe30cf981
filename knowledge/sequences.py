"""A read-only list whose items are made on demand: the one place of Sequence's overloads."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class LazyList(Sequence[T]):
    """A Sequence that makes item `at` (0 <= at < len) with `item_at`; indexing and slicing
    (negative indices included) work as on a list, and a slice is a list."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def item_at(self, at: int) -> T:
        """The item at position at, which is within range."""

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        positions = range(len(self))
        if isinstance(index, slice):
            return [self.item_at(at) for at in positions[index]]
        return self.item_at(positions[index])
