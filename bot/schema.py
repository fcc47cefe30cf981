"""The database schema of both engines: numbered migrations, step for step the same tables.

SQLite (bot/storage/sqlite.py, bot/inbox.py) and PostgreSQL (bot/storage_pg.py) apply these
lists in order, each step once, inside one transaction with its version bump; one version number
means one schema on both engines (tests/test_storage_contract.py holds the lists equal in length).
Append a step to both lists; never edit a released one.
"""

from __future__ import annotations

# Each migration runs once, in order, inside one transaction with its version bump. Append new
# ones; never edit a released one. A table holding data about a person must have a `user_id`
# column: export_user and forget_user find such tables by that column.
SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE user_settings (
               user_id    INTEGER PRIMARY KEY,
               language   TEXT NOT NULL,
               updated_at TEXT NOT NULL
           )""",
        """CREATE TABLE dialogs (
               chat_id    INTEGER NOT NULL,
               user_id    INTEGER NOT NULL,
               check_id   TEXT NOT NULL,
               state      TEXT NOT NULL,
               updated_at TEXT NOT NULL,
               PRIMARY KEY (chat_id, user_id)
           )""",
        "CREATE INDEX dialogs_by_user ON dialogs (user_id)",
        "CREATE INDEX dialogs_by_age ON dialogs (updated_at)",
    ),
    (
        # call_id is a call's id or '*' for every call; lang is the reply language when the
        # user subscribed, used when they never chose one with /language.
        """CREATE TABLE subscriptions (
               user_id    INTEGER NOT NULL,
               chat_id    INTEGER NOT NULL,
               call_id    TEXT NOT NULL,
               lang       TEXT NOT NULL,
               created_at TEXT NOT NULL,
               PRIMARY KEY (user_id, call_id)
           )""",
        "CREATE INDEX subscriptions_by_call ON subscriptions (call_id)",
        # One row per reminder decided on; the primary key is what makes a second send of the
        # same reminder impossible, across restarts and concurrent ticks.
        """CREATE TABLE reminders_sent (
               user_id     INTEGER NOT NULL,
               call_id     TEXT NOT NULL,
               deadline    TEXT NOT NULL,
               days_before INTEGER NOT NULL,
               sent_at     TEXT NOT NULL,
               PRIMARY KEY (user_id, call_id, deadline, days_before)
           )""",
        "CREATE INDEX reminders_sent_by_deadline ON reminders_sent (deadline)",
        """CREATE TABLE user_timezones (
               user_id    INTEGER PRIMARY KEY,
               timezone   TEXT NOT NULL,
               updated_at TEXT NOT NULL
           )""",
        # Answers carry no user id on purpose: a vote says which passages helped, not who asked.
        """CREATE TABLE answers (
               token     TEXT PRIMARY KEY,
               created_at TEXT NOT NULL,
               lang      TEXT NOT NULL,
               kind      TEXT NOT NULL,
               passages  TEXT NOT NULL,
               sources   TEXT NOT NULL,
               question  TEXT,
               vote      INTEGER,
               voted_at  TEXT
           )""",
        "CREATE INDEX answers_by_age ON answers (created_at)",
        """CREATE TABLE daily_counts (
               day    TEXT NOT NULL,
               metric TEXT NOT NULL,
               count  INTEGER NOT NULL,
               PRIMARY KEY (day, metric)
           )""",
    ),
    (
        # A question kept under STORE_QUESTIONS is its asker's data: /mydata shows it and
        # /forget deletes it, so it is kept with the user id, apart from the answer and its vote
        # (which stay unlinked to anyone). answers.question is no longer written.
        """CREATE TABLE questions (
               user_id  INTEGER NOT NULL,
               asked_at TEXT NOT NULL,
               lang     TEXT NOT NULL,
               question TEXT NOT NULL
           )""",
        "CREATE INDEX questions_by_user ON questions (user_id)",
        "CREATE INDEX questions_by_age ON questions (asked_at)",
        # Questions kept before have no asker: no /forget could ever find them.
        "UPDATE answers SET question = NULL WHERE question IS NOT NULL",
    ),
    (
        # The durable update inbox (bot/inbox.py): an update is committed here before it is
        # confirmed to Telegram. body is the raw update until it is handled; done rows keep
        # only update_id and received_at (to recognise a re-delivery) until they are pruned.
        """CREATE TABLE inbox (
               update_id   INTEGER PRIMARY KEY,
               user_id     INTEGER,
               chat_id     INTEGER,
               body        TEXT,
               received_at TEXT NOT NULL
           )""",
        "CREATE INDEX inbox_by_user ON inbox (user_id)",
        "CREATE INDEX inbox_by_age ON inbox (received_at)",
    ),
    (
        # The id of the last Telegram update applied to a dialog, a column of its own instead of
        # a key "u" inside the state JSON (where older code kept it): moved out, not lost, so a
        # redelivered update stays recognised across the upgrade.
        "ALTER TABLE dialogs ADD COLUMN last_update_id INTEGER",
        """UPDATE dialogs SET last_update_id = json_extract(state, '$.u'),
                              state = json_remove(state, '$.u')
           WHERE json_valid(state) AND json_type(state, '$.u') = 'integer'""",
    ),
    (
        # The pending rows only: what the replicas' claimers (bot/replicas.py) scan every
        # second, among up to an hour of done rows kept for recognising re-deliveries.
        "CREATE INDEX inbox_pending ON inbox (update_id) WHERE body IS NOT NULL",
    ),
    (
        # Shared knowledge (knowledge/shared.py), used with DATABASE_URL only: an SQLite
        # installation is one machine, whose data directory already is all the knowledge it
        # shares; the tables exist here too so that one version means the same tables on both.
        # kind: document | extracted | facts; name: the file's name in that folder.
        """CREATE TABLE knowledge_files (
               kind       TEXT NOT NULL,
               name       TEXT NOT NULL,
               content    TEXT NOT NULL,
               sha256     TEXT NOT NULL,
               updated_at TEXT NOT NULL,
               PRIMARY KEY (kind, name)
           )""",
        # One row, bumped in the transaction that changes the files (or by a reload request);
        # notified_version: the last version whose subscriber notices a replica has claimed.
        """CREATE TABLE knowledge_version (
               id               INTEGER PRIMARY KEY CHECK (id = 1),
               version          INTEGER NOT NULL,
               digest           TEXT NOT NULL,
               notified_version INTEGER NOT NULL,
               report           TEXT,
               updated_at       TEXT NOT NULL
           )""",
        # Built retrieval indexes (knowledge.arrays) by the content they were built from.
        """CREATE TABLE knowledge_index (
               key        TEXT PRIMARY KEY,
               data       BLOB NOT NULL,
               created_at TEXT NOT NULL
           )""",
    ),
)

# Numbered like SQLITE_MIGRATIONS and step for step the same tables, so one version
# number means one schema on both engines (tests/test_storage_contract.py holds them equal).
# Append new ones; never edit a released one. A table about a person has a `user_id` column:
# export_user and forget_user find such tables by it. Telegram ids exceed 32 bits: BIGINT.
POSTGRES_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE user_settings (
               user_id    BIGINT PRIMARY KEY,
               language   TEXT NOT NULL,
               updated_at TIMESTAMPTZ NOT NULL
           )""",
        # json, not jsonb: the state comes back as the very text that was saved.
        """CREATE TABLE dialogs (
               chat_id    BIGINT NOT NULL,
               user_id    BIGINT NOT NULL,
               check_id   TEXT NOT NULL,
               state      JSON NOT NULL,
               updated_at TIMESTAMPTZ NOT NULL,
               PRIMARY KEY (chat_id, user_id)
           )""",
        "CREATE INDEX dialogs_by_user ON dialogs (user_id)",
        "CREATE INDEX dialogs_by_age ON dialogs (updated_at)",
    ),
    (
        """CREATE TABLE subscriptions (
               user_id    BIGINT NOT NULL,
               chat_id    BIGINT NOT NULL,
               call_id    TEXT NOT NULL,
               lang       TEXT NOT NULL,
               created_at TIMESTAMPTZ NOT NULL,
               PRIMARY KEY (user_id, call_id)
           )""",
        "CREATE INDEX subscriptions_by_call ON subscriptions (call_id)",
        # The primary key makes a second send of one reminder impossible, across replicas too.
        """CREATE TABLE reminders_sent (
               user_id     BIGINT NOT NULL,
               call_id     TEXT NOT NULL,
               deadline    TIMESTAMPTZ NOT NULL,
               days_before INTEGER NOT NULL,
               sent_at     TIMESTAMPTZ NOT NULL,
               PRIMARY KEY (user_id, call_id, deadline, days_before)
           )""",
        "CREATE INDEX reminders_sent_by_deadline ON reminders_sent (deadline)",
        """CREATE TABLE user_timezones (
               user_id    BIGINT PRIMARY KEY,
               timezone   TEXT NOT NULL,
               updated_at TIMESTAMPTZ NOT NULL
           )""",
        # No user id on purpose: a vote says which passages helped, not who asked.
        """CREATE TABLE answers (
               token      TEXT PRIMARY KEY,
               created_at TIMESTAMPTZ NOT NULL,
               lang       TEXT NOT NULL,
               kind       TEXT NOT NULL,
               passages   JSONB NOT NULL,
               sources    JSONB NOT NULL,
               question   TEXT,
               vote       SMALLINT CHECK (vote IN (1, -1)),
               voted_at   TIMESTAMPTZ
           )""",
        "CREATE INDEX answers_by_age ON answers (created_at)",
        """CREATE TABLE daily_counts (
               day    DATE NOT NULL,
               metric TEXT NOT NULL,
               count  BIGINT NOT NULL,
               PRIMARY KEY (day, metric)
           )""",
    ),
    (
        # As SQLite's step 3: a question kept under STORE_QUESTIONS is its asker's data, so it
        # is kept with the user id (for /mydata and /forget), apart from the unlinked answer.
        """CREATE TABLE questions (
               user_id  BIGINT NOT NULL,
               asked_at TIMESTAMPTZ NOT NULL,
               lang     TEXT NOT NULL,
               question TEXT NOT NULL,
               -- one question asked once at one instant: what migrate --from-sqlite skips on
               -- a second run
               UNIQUE (user_id, asked_at, question)
           )""",
        "CREATE INDEX questions_by_user ON questions (user_id)",
        "CREATE INDEX questions_by_age ON questions (asked_at)",
        "UPDATE answers SET question = NULL WHERE question IS NOT NULL",
    ),
    (
        # As SQLite's step 4: the durable update inbox (bot/inbox.py), shared by replicas.
        """CREATE TABLE inbox (
               update_id   BIGINT PRIMARY KEY,
               user_id     BIGINT,
               chat_id     BIGINT,
               body        JSON,
               received_at TIMESTAMPTZ NOT NULL
           )""",
        "CREATE INDEX inbox_by_user ON inbox (user_id)",
        "CREATE INDEX inbox_by_age ON inbox (received_at)",
    ),
    (
        # As SQLite's step 5: the last applied update id moves out of the state JSON.
        "ALTER TABLE dialogs ADD COLUMN last_update_id BIGINT",
        """UPDATE dialogs SET last_update_id = (state ->> 'u')::bigint,
                              state = (state::jsonb - 'u')::json
           WHERE json_typeof(state -> 'u') = 'number' AND (state ->> 'u') ~ '^-?[0-9]+$'""",
    ),
    (
        # As SQLite's step 6: the pending rows, which the replicas' claimers scan.
        "CREATE INDEX inbox_pending ON inbox (update_id) WHERE body IS NOT NULL",
    ),
    (
        # As SQLite's step 7: the shared knowledge (knowledge/shared.py).
        """CREATE TABLE knowledge_files (
               kind       TEXT NOT NULL,
               name       TEXT NOT NULL,
               content    TEXT NOT NULL,
               sha256     TEXT NOT NULL,
               updated_at TIMESTAMPTZ NOT NULL,
               PRIMARY KEY (kind, name)
           )""",
        """CREATE TABLE knowledge_version (
               id               INTEGER PRIMARY KEY CHECK (id = 1),
               version          BIGINT NOT NULL,
               digest           TEXT NOT NULL,
               notified_version BIGINT NOT NULL,
               report           TEXT,
               updated_at       TIMESTAMPTZ NOT NULL
           )""",
        """CREATE TABLE knowledge_index (
               key        TEXT PRIMARY KEY,
               data       BYTEA NOT NULL,
               created_at TIMESTAMPTZ NOT NULL
           )""",
    ),
)

assert len(SQLITE_MIGRATIONS) == len(POSTGRES_MIGRATIONS)
SCHEMA_VERSION = len(SQLITE_MIGRATIONS)
