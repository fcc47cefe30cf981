"""The SQL text of the aggregates: one standard set both engines accept, and each dialect's own.

The statements are written once with `?` parameters; `dialect_queries` gives an engine the set in
its parameter style with the few statements it says its own way (SQLite's in
bot/storage/sqlite.py, PostgreSQL's in bot/storage_pg.py), so that where the engines differ can be
read in one place each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Queries:
    """Every statement the aggregates run, in one engine's dialect and parameter style."""

    param: str
    get_language: str
    set_language: str
    get_timezone: str
    set_timezone: str
    load_dialog: str
    save_dialog: str
    delete_dialog: str
    expire_dialogs: str
    subscribe: str
    unsubscribe_all: str
    unsubscribe_one: str
    drop_call: str
    subscriptions: str
    subscribers: str
    subscribers_of_calls: str
    reminders_decided: str
    claim_reminder: str
    release_reminder: str
    insert_answer: str
    insert_question: str
    add_count: str
    vote: str
    answer_state: str
    count_totals: str
    count_recent: str
    voted_answers: str
    count_answers: str
    count_subscribers: str
    subscriptions_by_call: str
    count_active_dialogs: str
    count_reminders: str
    prune_answers: str
    prune_questions: str
    prune_reminders: str
    schema_version: str

    def delete_user_rows(self, table: str) -> str:
        """Delete one user's rows of a table (a name read from the schema, never from input)."""
        return f'DELETE FROM "{table}" WHERE user_id = {self.param}'


def subscribers_query(where: str = "") -> str:
    """Subscriptions with the reply language and zone of their users (where: a filter)."""
    return (
        "SELECT s.*, COALESCE(u.language, s.lang) AS reply_lang, z.timezone AS timezone"
        " FROM subscriptions s LEFT JOIN user_settings u ON u.user_id = s.user_id"
        " LEFT JOIN user_timezones z ON z.user_id = s.user_id"
        f" {where} ORDER BY s.user_id, s.created_at"
    )


# The statements both engines accept as they are, written with `?` parameters. What an engine
# says its own way (dialect_queries' keywords) is in its module.
_STANDARD: dict[str, str] = {
    "get_language": "SELECT language FROM user_settings WHERE user_id = ?",
    "set_language": (
        "INSERT INTO user_settings (user_id, language, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language,"
        " updated_at = excluded.updated_at"
    ),
    "get_timezone": "SELECT timezone FROM user_timezones WHERE user_id = ?",
    "set_timezone": (
        "INSERT INTO user_timezones (user_id, timezone, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone,"
        " updated_at = excluded.updated_at"
    ),
    "load_dialog": (
        "SELECT check_id, CAST(state AS TEXT) AS state, updated_at, last_update_id FROM dialogs"
        " WHERE chat_id = ? AND user_id = ?"
    ),
    "save_dialog": (
        "INSERT INTO dialogs (chat_id, user_id, check_id, state, updated_at, last_update_id)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET"
        " check_id = excluded.check_id, state = excluded.state,"
        " updated_at = excluded.updated_at, last_update_id = excluded.last_update_id"
    ),
    "delete_dialog": "DELETE FROM dialogs WHERE chat_id = ? AND user_id = ?",
    "expire_dialogs": "DELETE FROM dialogs WHERE updated_at < ?",
    "subscribe": (
        "INSERT INTO subscriptions (user_id, chat_id, call_id, lang, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, call_id) DO NOTHING"
    ),
    "unsubscribe_all": "DELETE FROM subscriptions WHERE user_id = ?",
    "unsubscribe_one": "DELETE FROM subscriptions WHERE user_id = ? AND call_id = ?",
    "drop_call": "DELETE FROM subscriptions WHERE call_id = ?",
    "subscribers": subscribers_query(""),
    "reminders_decided": (
        "SELECT user_id, call_id, deadline, days_before FROM reminders_sent WHERE deadline > ?"
    ),
    "claim_reminder": (
        "INSERT INTO reminders_sent (user_id, call_id, deadline, days_before, sent_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    ),
    "release_reminder": (
        "DELETE FROM reminders_sent WHERE user_id = ? AND call_id = ?"
        " AND deadline = ? AND days_before = ?"
    ),
    "insert_answer": (
        "INSERT INTO answers (token, created_at, lang, kind, passages, sources)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    ),
    "insert_question": (
        "INSERT INTO questions (user_id, asked_at, lang, question) VALUES (?, ?, ?, ?)"
    ),
    "add_count": (
        "INSERT INTO daily_counts (day, metric, count) VALUES (?, ?, ?)"
        " ON CONFLICT (day, metric) DO UPDATE SET count = daily_counts.count + excluded.count"
    ),
    "vote": "UPDATE answers SET vote = ?, voted_at = ? WHERE token = ?",
    "answer_state": "SELECT lang, vote FROM answers WHERE token = ?",
    "count_totals": "SELECT metric, SUM(count) AS n FROM daily_counts GROUP BY metric",
    "count_recent": (
        "SELECT metric, SUM(count) AS n FROM daily_counts WHERE day >= ? GROUP BY metric"
    ),
    "voted_answers": "SELECT passages, sources, vote FROM answers WHERE vote IS NOT NULL",
    "count_answers": "SELECT COUNT(*) AS n FROM answers",
    "count_subscribers": "SELECT COUNT(DISTINCT user_id) AS n FROM subscriptions",
    "subscriptions_by_call": (
        "SELECT call_id, COUNT(*) AS n FROM subscriptions GROUP BY call_id ORDER BY call_id"
    ),
    "count_active_dialogs": "SELECT COUNT(*) AS n FROM dialogs WHERE updated_at >= ?",
    "count_reminders": "SELECT COUNT(*) AS n FROM reminders_sent",
    "prune_answers": "DELETE FROM answers WHERE vote IS NULL AND created_at < ?",
    "prune_questions": "DELETE FROM questions WHERE asked_at < ?",
    "prune_reminders": "DELETE FROM reminders_sent WHERE deadline < ?",
    "schema_version": "SELECT version AS n FROM schema_version",
}


def dialect_queries(param: str, **specific: str) -> Queries:
    """The standard statements in an engine's parameter style, plus its own statements."""
    standard = {name: text.replace("?", param) for name, text in _STANDARD.items()}
    return Queries(param=param, **{**standard, **specific})
