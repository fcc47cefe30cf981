"""What the bot remembers between messages, by aggregate: settings, dialogs, subscriptions,
answers and votes, and a user's data as a whole (/mydata, /forget).

The protocols are in bot/storage/protocols.py, the values in bot/storage/records.py; the
in-memory store (bot/storage/memory.py) serves fast tests, SQLite (bot/storage/sqlite.py) is the
embedded default and PostgreSQL (bot/storage_pg.py) the shared engine, all three held to one
contract (tests/test_storage_contract.py). Only parsed answers are stored (the dialog state); the
free text of users' questions only when the operator turned on STORE_QUESTIONS, and then with the
asker's id (table questions), so that /mydata shows it and /forget deletes it.
"""

from bot.schema import SCHEMA_VERSION
from bot.schema import SQLITE_MIGRATIONS as MIGRATIONS
from bot.storage.protocols import Answers, Dialogs, Privacy, Store, Subscriptions, UserSettings
from bot.storage.records import (
    ALL_CALLS,
    CACHED_USERS,
    COUNT_FLUSH_SECONDS,
    NOT_EXPORTED,
    AnswerRecord,
    ItemVotes,
    ReminderKey,
    StorageKey,
    StoredDialog,
    Subscriber,
    Subscription,
    UsageStats,
    timestamp,
    utc_now,
)
from bot.storage.sqlite import DEFAULT_BUSY_TIMEOUT_MS, SQLiteStorage

# The names importers used before the split (bot/inbox.py among them).
Storage = Store
_timestamp = timestamp
_utc_now = utc_now

__all__ = [
    "ALL_CALLS",
    "CACHED_USERS",
    "COUNT_FLUSH_SECONDS",
    "DEFAULT_BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "NOT_EXPORTED",
    "SCHEMA_VERSION",
    "AnswerRecord",
    "Answers",
    "Dialogs",
    "ItemVotes",
    "Privacy",
    "ReminderKey",
    "SQLiteStorage",
    "Storage",
    "StorageKey",
    "Store",
    "StoredDialog",
    "Subscriber",
    "Subscription",
    "Subscriptions",
    "UsageStats",
    "UserSettings",
    "timestamp",
    "utc_now",
]
