"""Settings from the environment: defaults, clear refusals, and secrets kept out of messages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import AUTO_WORKERS_MAX, ConfigError, Settings, auto_workers

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "7000000001:AAFakeTelegramTokenForTests0123456789"
# Every variable Settings reads, so a test process never inherits an operator's setting.
SETTINGS_VARIABLES = (
    "AMIF_DATA_DIR",
    "TELEGRAM_BOT_TOKEN",
    "WEBHOOK_URL",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_API_BASE_FILE_URL",
    "ADMIN_IDS",
    "DIALOG_TTL_HOURS",
    "STORE_QUESTIONS",
    "LOG_LEVEL",
    "BOT_WORKERS",
    "DATABASE_URL",
)


def test_defaults_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path)})
    assert settings.data_dir == tmp_path / "amif-bot"
    assert settings.database_path == tmp_path / "amif-bot" / "amif-bot.sqlite3"
    assert settings.token is None
    assert settings.webhook_url is None
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    assert settings.webhook_secret is None
    assert settings.api_base_url is None and settings.api_base_file_url is None
    assert settings.admin_ids == frozenset()
    assert settings.dialog_ttl_hours == 72.0
    assert settings.store_questions is False
    assert settings.log_level == "INFO"
    assert settings.workers == auto_workers()
    assert settings.database_url is None  # SQLite in the data directory


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "AMIF_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n",
            "WEBHOOK_URL": "https://bot.example.org/amif/hook",
            "WEBHOOK_LISTEN": "0.0.0.0",
            "WEBHOOK_PORT": "8080",
            "WEBHOOK_SECRET": "s3cret_-X",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_API_BASE_FILE_URL": "http://127.0.0.1:8081/file/bot",
            "ADMIN_IDS": "123, 456 789",
            "DIALOG_TTL_HOURS": "1.5",
            "STORE_QUESTIONS": "1",
            "LOG_LEVEL": "debug",
            "BOT_WORKERS": "3",
            "DATABASE_URL": "postgresql://bot:pw@db:5432/amif",
        }
    )
    assert settings.data_dir == tmp_path / "data"
    assert settings.token == TOKEN  # surrounding whitespace from a .env file is dropped
    assert settings.webhook_url == "https://bot.example.org/amif/hook"
    assert settings.webhook_path == "amif/hook"
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 8080)
    assert settings.webhook_secret == "s3cret_-X"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.admin_ids == frozenset({123, 456, 789})
    assert settings.dialog_ttl_hours == 1.5
    assert settings.store_questions is True
    assert settings.log_level == "DEBUG"
    assert settings.workers == 3
    assert settings.database_url == "postgresql://bot:pw@db:5432/amif"


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_SECRET": "s3cret",
            "DATABASE_URL": "postgresql://bot:dbpassw0rd@db/amif",
        }
    )
    assert TOKEN not in repr(settings)
    assert "s3cret" not in repr(settings)
    assert "dbpassw0rd" not in repr(settings)


@pytest.mark.parametrize(
    "url", ["mysql://bot:dbpassw0rd@db/amif", "sqlite:///x.db", "db:5432/amif"]
)
def test_a_database_url_that_is_not_postgresql_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL must be a postgresql:// URL") as refused:
        Settings.from_env({"DATABASE_URL": url})
    assert url not in str(refused.value)


@pytest.mark.parametrize(
    "token",
    [
        "7000000001AAFakeTelegramTokenForTests0123456789",  # colon missing
        "7000000001:AAFakeTelegramToken",  # secret part too short
        "bot7000000001:AAFakeTelegramTokenForTests0123456789",  # pasted with the URL prefix
        "7000000001:AAFakeTelegramToken ForTests0123456789",  # a space inside
        "7000000001:AAFakeTelegramTokenForTests012345678=",  # a character Telegram never uses
    ],
)
def test_malformed_token_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": token})
    message = str(refused.value)
    assert "TELEGRAM_BOT_TOKEN" in message
    assert "FakeTelegramToken" not in message  # not even a part of the secret


def test_malformed_webhook_secret_is_refused_without_echoing_it() -> None:
    secret = "not allowed: spaces and colons"
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WEBHOOK_SECRET": secret})
    assert "WEBHOOK_SECRET" in str(refused.value)
    assert secret not in str(refused.value)


@pytest.mark.parametrize("port", ["https", "8443.0", "0", "65536", "-1"])
def test_bad_webhook_port_is_refused(port: str) -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_PORT"):
        Settings.from_env({"WEBHOOK_PORT": port})


@pytest.mark.parametrize("ttl", ["three days", "0", "-2"])
def test_bad_dialog_ttl_is_refused(ttl: str) -> None:
    with pytest.raises(ConfigError, match="DIALOG_TTL_HOURS"):
        Settings.from_env({"DIALOG_TTL_HOURS": ttl})


@pytest.mark.parametrize("admin_ids", ["@maja", "123,abc", "12.5"])
def test_non_numeric_admin_ids_are_refused(admin_ids: str) -> None:
    with pytest.raises(ConfigError, match="ADMIN_IDS"):
        Settings.from_env({"ADMIN_IDS": admin_ids})


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("", False),
        ("  ", False),
    ],
)
def test_store_questions_accepts_common_spellings(value: str, stored: bool) -> None:
    assert Settings.from_env({"STORE_QUESTIONS": value}).store_questions is stored


def test_auto_workers_follow_the_cpus_this_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cpus, workers in ((1, 1), (2, 2), (3, 3), (64, AUTO_WORKERS_MAX)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)))
        assert Settings.from_env({"BOT_WORKERS": "auto"}).workers == workers
    assert Settings.from_env({"BOT_WORKERS": "1"}).workers == 1


@pytest.mark.parametrize("value", ["0", "17", "two", "-1", "1.5"])
def test_bad_worker_counts_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="BOT_WORKERS must be 'auto' or a number from 1 to 16"):
        Settings.from_env({"BOT_WORKERS": value})


@pytest.mark.parametrize("value", ["2", "maybe", "on"])
def test_store_questions_refuses_anything_else(value: str) -> None:
    with pytest.raises(ConfigError, match="STORE_QUESTIONS"):
        Settings.from_env({"STORE_QUESTIONS": value})


def test_webhook_path_comes_from_the_url() -> None:
    assert Settings.from_env({"WEBHOOK_URL": "https://x.example.org/tg/"}).webhook_path == "tg"
    assert Settings.from_env({"WEBHOOK_URL": "https://x.example.org"}).webhook_path == "telegram"


# --- the command line --------------------------------------------------------------------


def run_bot_command(extra_env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess:
    """`python -m bot run` with only the given settings (none inherited from this process)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update({"AMIF_DATA_DIR": str(data_dir), **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.slow  # starts a bot process
def test_run_without_token_exits_2_and_says_what_is_missing(tmp_path: Path) -> None:
    out = run_bot_command({}, tmp_path)
    assert out.returncode == 2
    stderr = out.stderr.decode()
    assert "TELEGRAM_BOT_TOKEN is not set" in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow  # starts a bot process
def test_run_with_malformed_token_exits_2_without_echoing_it(tmp_path: Path) -> None:
    token = "7000000001:AAShortSecret"
    out = run_bot_command({"TELEGRAM_BOT_TOKEN": token}, tmp_path)
    assert out.returncode == 2
    stderr = out.stderr.decode()
    assert "TELEGRAM_BOT_TOKEN is malformed" in stderr
    assert "AAShortSecret" not in stderr and "AAShortSecret" not in out.stdout.decode()
    assert "Traceback" not in stderr


@pytest.mark.slow  # starts a bot process
def test_run_refuses_a_webhook_without_secret(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # Should the refusal ever break, the bot talks to a closed loopback port, not to Telegram.
    out = run_bot_command(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://bot.example.org/tg",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot",
        },
        data_dir,
    )
    assert out.returncode == 2
    stderr = out.stderr.decode()
    assert "WEBHOOK_SECRET" in stderr
    assert TOKEN not in stderr and TOKEN.partition(":")[2] not in stderr
    assert "Traceback" not in stderr
    # Refused before anything was set up: no database was created.
    assert not data_dir.exists()
