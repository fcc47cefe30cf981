"""Which storage engine the bot uses: PostgreSQL when DATABASE_URL is set, else SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.storage import SQLiteStorage, Store, utc_now

__all__ = ["Store", "describe_storage", "open_storage"]


def open_storage(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Store:
    """The configured store, not yet connected: `async with open_storage(settings) as store:`."""
    if settings.database_url:
        # Imported here: psycopg costs start-up time that an SQLite installation never uses.
        from bot.storage_pg import PostgresStorage

        return PostgresStorage(settings.database_url, clock=clock)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteStorage(settings.database_path, clock=clock)


def describe_storage(settings: Settings) -> str:
    """Where the state is kept, for messages (no password)."""
    if settings.database_url:
        from bot.storage_pg import redacted_url

        return f"PostgreSQL at {redacted_url(settings.database_url)}"
    return f"SQLite at {settings.database_path}"
