"""The storage tests' fixtures: a store on each backend, this run's PostgreSQL database."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.stores import Store
from tests.support.postgres import (
    reset_schema,
    run_database,
    server_url,
)
from tests.support.storage import BACKENDS, MEMORY_STORES, SQL_BACKENDS, Clock, new_store


@pytest.fixture(scope="session")
def pg_run_url() -> Iterator[str]:
    """This run's own PostgreSQL database (created once, dropped at the end of the run)."""
    with run_database(server_url()) as url:
        yield url


@pytest.fixture
def pg_url(pg_run_url: str) -> str:
    """The run's database, emptied for this test."""
    reset_schema(pg_run_url)
    return pg_run_url


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock at 2026-11-24 12:00 UTC."""
    return Clock()


def _location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://{tmp_path}"
    if request.param == "sqlite":
        return str(tmp_path / "contract.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where this test's stores keep their data: memory, an SQLite path or a PostgreSQL URL."""
    location = _location(request, tmp_path)
    yield location
    MEMORY_STORES.pop(location, None)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An SQL database for this test: an SQLite path or a PostgreSQL URL."""
    return _location(request, tmp_path)


@pytest.fixture
async def store(backend: str, clock: Clock) -> AsyncIterator[Store]:
    """An open store on the backend."""
    async with new_store(backend, clock) as opened:
        yield opened
