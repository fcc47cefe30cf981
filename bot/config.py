"""Settings, read once from the environment into one frozen value."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

# Telegram tokens look like "123456789:AA...": a numeric bot id, a colon, 30+ url-safe characters.
TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
# BOT_WORKERS=auto: one worker per CPU up to this many (the poller is light, and SQLite takes
# one writer at a time, so more processes than this mostly wait on each other).
AUTO_WORKERS_MAX = 4
MAX_WORKERS = 16


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "amif-bot"


@dataclass(frozen=True)
class Settings:
    """Every setting of the assistant (README lists them with their variables)."""

    data_dir: Path = field(default_factory=_default_data_dir)
    token: str | None = field(default=None, repr=False)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    api_base_url: str | None = None
    api_base_file_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    dialog_ttl_hours: float = 72.0
    store_questions: bool = False
    log_level: str = "INFO"
    # Processes that handle updates behind the main process (bot/workers.py).
    workers: int = 1
    # postgresql://... selects PostgreSQL (bot/storage_pg.py); None keeps SQLite in data_dir.
    # Not in repr: it may hold a password.
    database_url: str | None = field(default=None, repr=False)
    # /healthz and /readyz on a port of their own (any mode); the webhook server has them too.
    health_port: int | None = None
    health_listen: str = "127.0.0.1"

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server listens on: the path of WEBHOOK_URL."""
        path = urlparse(self.webhook_url or "").path.strip("/")
        return path or "telegram"

    @property
    def database_path(self) -> Path:
        """The SQLite file with user settings and dialog state."""
        return self.data_dir / "amif-bot.sqlite3"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from environment variables; raises ConfigError on malformed values."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not TOKEN_PATTERN.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: expected '<digits>:<secret>' as given by "
                "@BotFather"
            )
        secret = get("WEBHOOK_SECRET")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        admin_ids: set[int] = set()
        for part in re.split(r"[,\s]+", get("ADMIN_IDS") or ""):
            if part:
                if not part.lstrip("-").isdigit():
                    raise ConfigError(f"ADMIN_IDS must be numeric Telegram user ids, got {part!r}")
                admin_ids.add(int(part))
        try:
            port = int(get("WEBHOOK_PORT") or 8443)
            ttl = float(get("DIALOG_TTL_HOURS") or 72)
        except ValueError:
            raise ConfigError("WEBHOOK_PORT and DIALOG_TTL_HOURS must be numbers") from None
        if not 0 < port < 65536:
            raise ConfigError("WEBHOOK_PORT must be between 1 and 65535")
        if ttl <= 0:
            raise ConfigError("DIALOG_TTL_HOURS must be positive")
        store = (get("STORE_QUESTIONS") or "0").lower()
        if store not in ("0", "1", "true", "false", "yes", "no"):
            raise ConfigError("STORE_QUESTIONS must be 0 or 1")
        webhook_url = get("WEBHOOK_URL")
        if webhook_url is not None:
            parsed = urlparse(webhook_url)
            # Telegram only delivers webhooks over HTTPS, to ports 443, 80, 88 or 8443.
            if (
                parsed.scheme != "https"
                or not parsed.hostname
                or (parsed.port not in (None, 443, 80, 88, 8443))
            ):
                raise ConfigError(
                    "WEBHOOK_URL must be an https:// URL on port 443, 80, 88 or 8443 "
                    "(Telegram's rule)"
                )
        workers = get("BOT_WORKERS") or "auto"
        if workers == "auto":
            worker_count = auto_workers()
        elif workers.isdigit() and 1 <= int(workers) <= MAX_WORKERS:
            worker_count = int(workers)
        else:
            raise ConfigError(f"BOT_WORKERS must be 'auto' or a number from 1 to {MAX_WORKERS}")
        database_url = get("DATABASE_URL")
        if database_url is not None and urlparse(database_url).scheme not in (
            "postgresql",
            "postgres",
        ):
            raise ConfigError("DATABASE_URL must be a postgresql:// URL (unset keeps SQLite)")
        data_dir = get("AMIF_DATA_DIR")
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else _default_data_dir(),
            token=token,
            webhook_url=webhook_url,
            webhook_listen=get("WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=port,
            webhook_secret=secret,
            api_base_url=get("TELEGRAM_API_BASE_URL"),
            api_base_file_url=get("TELEGRAM_API_BASE_FILE_URL"),
            admin_ids=frozenset(admin_ids),
            dialog_ttl_hours=ttl,
            store_questions=store in ("1", "true", "yes"),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            workers=worker_count,
            database_url=database_url,
            health_port=_health_port(get("HEALTH_PORT")),
            health_listen=get("HEALTH_LISTEN") or "127.0.0.1",
        )


def _health_port(value: str | None) -> int | None:
    """HEALTH_PORT: unset, or a port number."""
    if value is None:
        return None
    if not (value.isdigit() and 0 < int(value) < 65536):
        raise ConfigError("HEALTH_PORT must be a port number between 1 and 65535")
    return int(value)


def auto_workers() -> int:
    """One worker process per CPU this process may run on, at most AUTO_WORKERS_MAX."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(AUTO_WORKERS_MAX, cpus))
