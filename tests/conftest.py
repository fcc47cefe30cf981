"""Shared fixtures: one knowledge base per test session, a fixed clock."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.assistant import Assistant
from knowledge.base import KnowledgeBase

FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return KnowledgeBase.load(None)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock fixed at 2026-11-24 12:00 UTC."""
    return lambda: FIXED_NOW


@pytest.fixture
def assistant(kb: KnowledgeBase, clock: Callable[[], datetime]) -> Assistant:
    """The assistant over the shipped knowledge, at a fixed time."""
    return Assistant(kb, clock)


@pytest.fixture
def seeds_dir() -> Path:
    """The shared seed documents; the test is skipped where they are absent."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed documents not found at {SEEDS}")
    return SEEDS
