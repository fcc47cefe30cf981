"""Where the PostgreSQL tests find their server, and a database of their own per test run.

AMIF_TEST_DATABASE_URL names a server and a database to connect to first (default: the local
server that development and CI machines run). Each run creates a uniquely named database there
and drops it at the end. Without a server the tests skip, saying how to start one; with
AMIF_REQUIRE_POSTGRES=1 (as .ci/run sets) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
HOW_TO_START = (
    "start one (`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`, "
    "or `apt-get install postgresql` and `pg_ctlcluster 15 main start`) or point "
    "AMIF_TEST_DATABASE_URL at one; AMIF_REQUIRE_POSTGRES=1 makes this a failure"
)


def server_url() -> str:
    """The URL the tests connect to first."""
    return os.environ.get("AMIF_TEST_DATABASE_URL") or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def require_server(url: str) -> None:
    """Skip (or, with AMIF_REQUIRE_POSTGRES=1, fail) the test when no server answers at url."""
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"no PostgreSQL server at {url} ({first_line}): {HOW_TO_START}"
        if os.environ.get("AMIF_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@contextmanager
def run_database(url: str) -> Iterator[str]:
    """A new database on url's server for this run (its URL), dropped afterwards."""
    require_server(url)
    name = f"amif_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            # FORCE: a bot process killed mid-test may leave a connection behind.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def reset_schema(url: str) -> None:
    """Empty the database: a new public schema, so that each test migrates from nothing."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
