"""Three `amif-bot run` replicas on one PostgreSQL database, one of them killed now and then.

50 users at once each run a whole eligibility check (buttons and typed answers, in English and
Swedish, eligible and not) and ask questions, while one replica at a time is SIGKILLed at a
random moment and started again, five times; other users wait for a deadline reminder that
falls due during the run. Webhook mode goes through a load balancer in the test that spreads
the posts at random (tests/support/fleet.py); polling mode kills the replica that is polling.

What a user would notice is compared with a reference: the same conversations played on one
in-process bot that is never killed. Afterwards the database must hold exactly what the users
did: no update left pending, one dialog per check, one reminder per subscriber.

The deployment of deploy/compose.yaml is checked here too, for what a reader of the file
cannot see at once: that the proxy, the health checks and the settings fit the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from bot.config import Settings
from bot.eligibility import facts_by_file, load_checks
from bot.webhook import webhook_app
from knowledge.base import KnowledgeBase
from tests.conftest import make_harness
from tests.fake_telegram import ChatDriver, FakeTelegram, FakeUser
from tests.support.checks import THB
from tests.support.fleet import Fleet, FleetFeed, Mode, WebhookFeed
from tests.support.postgres import run_database, server_url

REPLICAS = 3
USERS = 50
FIRST_USER_ID = 7_100_000
SUBSCRIBERS = 10
KILLS = 5
# A call whose 1-day reminder falls due this long after the test starts its replicas.
REMINDED_CALL = "EU-2020-THB"
REMINDER_DUE_AFTER = timedelta(seconds=45)
# The scheduler looks for due reminders every minute, and at each replica's start.
REMINDER_WAIT_S = 200.0
REMINDER_MARK = "⏰"
# What a user of each script asks besides the check.
EN_QUESTION = "What is the funding rate of the 2024 call?"
SV_QUESTION = "Hur stor är medfinansieringsgraden i utlysningen 2024?"
EN_VERDICT = "Result: eligible. Every criterion we can check is met."
EN_REFUSAL = "Result: not eligible as things stand. 1 criterion is not met."


@dataclass(frozen=True)
class Script:
    """One user's conversation: steps ("click:" presses a button, alone the first one)."""

    name: str
    steps: tuple[str, ...]
    verdict: str | None  # a line the verdict must hold (None: checked only against the reference)


def amount_of(index: int) -> int:
    """Each user asks for a grant of their own, so one user's answers are told from another's."""
    return 600_000 + 1_000 * index


def user_of(core: FakeTelegram, index: int) -> FakeUser:
    """User number `index` (Swedish-speaking for the Swedish script)."""
    language = "sv" if index % 3 == 2 else "en"
    return core.user(f"User{index}", user_id=FIRST_USER_ID + index, language_code=language)


def script_for(index: int) -> Script:
    """The conversation of user number `index`: three kinds in turn."""
    amount = amount_of(index)
    kind = index % 3
    if kind == 0:
        steps = (
            EN_QUESTION,
            f"/eligibility {THB}",
            "click:Yes",
            "click:Private body (for example an association or a foundation)",
            "yes",
            "Finland",
            "Sweden, Estonia and Germany",
            "click:Done",
            f"EUR {amount:,}",
            "24",
            "click:",
            "click:Done",
            f"/eligibility {THB}",  # the finished check is shown again, not restarted
        )
        return Script("en-eligible", steps, EN_VERDICT)
    if kind == 1:
        steps = (
            f"/eligibility {THB}",
            "click:Yes",
            "click:Private body (for example an association or a foundation)",
            "yes",
            "Finland",
            "Sweden, Estonia",
            "click:Done",
            f"EUR {amount + 900_000:,}",  # above the call's largest grant
            "24",
            "click:",
            "click:Done",
            EN_QUESTION,
        )
        return Script("en-refused", steps, EN_REFUSAL)
    steps = (
        SV_QUESTION,
        f"/eligibility {THB}",
        "ja",
        "2",
        "ja",
        "Finland",
        "Sverige, Estland",
        "click:Klar",
        f"{amount:,}".replace(",", " "),
        "två år",
        "click:",
        "click:Klar",
    )
    return Script("sv-eligible", steps, None)


async def play(chat: ChatDriver, script: Script) -> list[str]:
    """Play the script; the texts the user sees at the end (edits applied)."""
    for step in script.steps:
        if step.startswith("click:"):
            await chat.click(step[6:] or chat.last_buttons[0])
        else:
            await chat.send(step)
    return chat.texts


def write_reminded_deadline(data_dir: Path, due: datetime) -> None:
    """An operator's facts file: the 2020 call closes a day after `due` (its 1-day reminder)."""
    deadline = (due + timedelta(days=1)).astimezone(UTC)
    folder = data_dir / "facts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{REMINDED_CALL.lower()}.yaml").write_text(
        f"id: {REMINDED_CALL}\n"
        f"deadline: {{date: {deadline:%Y-%m-%d}, time: '{deadline:%H:%M:%S}', tz: UTC}}\n",
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Reference:
    """What one bot that nothing interrupts shows each user, and the dialogs it keeps."""

    transcripts: list[list[str]]
    dialog_users: list[int]


async def reference_run(root: Path, due: datetime) -> Reference:
    """Every script played on one in-process bot (SQLite) that nothing interrupts."""
    data = root / "reference"
    write_reminded_deadline(data, due)
    kb = KnowledgeBase.load(data)
    checks = load_checks(facts=facts_by_file(kb.calls))
    harness, store = await make_harness(data, kb, lambda: datetime.now(UTC), checks)
    try:
        chats = [harness.driver(user_of(harness.core, i)) for i in range(USERS)]
        transcripts = list(
            await asyncio.gather(*(play(chat, script_for(i)) for i, chat in enumerate(chats)))
        )
    finally:
        await harness.app.shutdown()
        await store.close()
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        dialogs = sorted(row[0] for row in db.execute("SELECT user_id FROM dialogs"))
    return Reference(transcripts, dialogs)


def digits(text: str) -> str:
    """The text without the separators numbers are written with (1,000 / 1 000 / 1.000)."""
    return re.sub(r"[\s,.\u00a0\u202f]", "", text)


async def kill_now_and_then(
    fleet: Fleet, victim: Callable[[], int | None], rng: random.Random, kills: int
) -> list[int]:
    """SIGKILL a replica at random moments and start it again, `kills` times; who was killed."""
    killed: list[int] = []
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(2.0, 6.0))
        deadline = time.monotonic() + 30
        index = victim()
        while index is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            index = victim()
        assert index is not None, "no replica to kill (no polling leader?)"
        await fleet.kill(index)
        killed.append(index)
        await asyncio.sleep(rng.uniform(0.2, 3.0))
        await fleet.restart(index)
    return killed


def reminders_seen(core: FakeTelegram, user: FakeUser) -> list[str]:
    """The reminders the user got in their private chat."""
    return [m.text for m in core.sent(user.id) if m.text.startswith(REMINDER_MARK)]


def database_rows(url: str, query: str) -> list[tuple[object, ...]]:
    """Rows of one query on the fleet's database."""
    with psycopg.connect(url) as conn:
        return list(conn.execute(query).fetchall())


# Starts processes and HTTP servers: `pytest -m "not slow"` leaves it out.
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_fifty_users_finish_while_replicas_are_killed(tmp_path: Path, mode: Mode) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    core = FakeTelegram()
    users = [user_of(core, n) for n in range(USERS)]
    subscribers = [core.user(f"Sub{n}", user_id=7_200_000 + n) for n in range(SUBSCRIBERS)]
    # The reference's deadline only has to be as far off (the next day).
    reference = await reference_run(tmp_path, datetime.now(UTC) + REMINDER_DUE_AFTER)
    due = datetime.now(UTC) + REMINDER_DUE_AFTER
    with run_database(server_url()) as url:
        fleet = Fleet(core, url, tmp_path / "fleet", count=REPLICAS, mode=mode, seed=seed)
        for replica in fleet.replicas:
            write_reminded_deadline(replica.data_dir, due)
        async with fleet:
            feed = fleet.feed(answer_timeout=120.0)
            try:
                await asyncio.gather(
                    *(
                        ChatDriver(core, feed, user=s).send(f"/subscribe {REMINDED_CALL}")
                        for s in subscribers
                    )
                )
                assert datetime.now(UTC) < due, "subscribed too late for the reminder to be due"
                chats = [ChatDriver(core, feed, user=user) for user in users]
                if mode == "polling":
                    victim: Callable[[], int | None] = fleet.polling_leader
                else:
                    victim = lambda: rng.choice([r.index for r in fleet.replicas if r.alive])  # noqa: E731
                killing = asyncio.ensure_future(kill_now_and_then(fleet, victim, rng, KILLS))
                seen = await asyncio.gather(
                    *(play(chat, script_for(i)) for i, chat in enumerate(chats))
                )
                killed = await killing
                # Each subscriber's reminder, or the timeout (the check below tells which).
                await core.wait_until(
                    lambda: all(reminders_seen(core, s) for s in subscribers), REMINDER_WAIT_S
                )
            finally:
                await feed.close()
            statuses = await fleet.stop_all()
        logs = fleet.logs()
        problems = [
            *screen_problems(seen, reference),
            *reminder_problems(core, subscribers, users),
            *database_problems(url, feed, reference, users, subscribers),
        ]
        if statuses != [0] * REPLICAS:
            problems.append(f"exit statuses at the stop: {statuses}")
        # One poller at a time: no running replica was ever told another one polls.
        conflicts = sum(r.server.conflicts for r in fleet.replicas)
        if mode == "polling" and (conflicts or "terminated by other getUpdates" in logs):
            problems.append("two replicas polled at once (409 Conflict)")
        if "Traceback" in logs:
            at = logs.index("Traceback")
            quiet = [
                line for line in logs[at : at + 6000].splitlines() if "psycopg.pool" not in line
            ]
            problems.append("a traceback in the replicas' logs:\n" + "\n".join(quiet[:40]))
        for private in (core.token, "Sweden, Estonia and Germany", EN_QUESTION, SV_QUESTION):
            if private in logs:
                problems.append(f"the log holds {private[:12]}...")
    assert len(killed) == KILLS and all(r.starts >= 1 for r in fleet.replicas)
    resent = sum(
        len(texts) - len(without_resent_replies(texts, expected))
        for texts, expected in zip(seen, reference.transcripts, strict=True)
    )
    print(f"{mode}, seed {seed}, killed {killed}: {resent} messages sent again after a kill")
    # Every property checked, every failure listed (one run may show several).
    assert not problems, "\n".join([f"seed {seed}, killed {killed}:", *problems, logs[-3000:]])


def screen_problems(seen: list[list[str]], reference: Reference) -> list[str]:
    """What users saw that the undisturbed bot did not show them, or another user's answers."""
    problems = []
    for index, (texts, expected) in enumerate(zip(seen, reference.transcripts, strict=True)):
        script = script_for(index)
        # Nothing lost, nothing applied twice, nothing extra: what the undisturbed bot said,
        # but for a reply sent again whole (see without_resent_replies).
        texts = without_resent_replies(texts, expected)
        if texts != expected:
            at = next(
                (n for n, (a, b) in enumerate(zip(texts, expected, strict=False)) if a != b),
                min(len(texts), len(expected)),
            )
            problems.append(
                f"user {index} ({script.name}): {len(texts)} messages, expected "
                f"{len(expected)}; message {at} is {_line(texts, at)!r}, expected "
                f"{_line(expected, at)!r}"
            )
        if script.verdict is not None and not any(script.verdict in text for text in texts):
            problems.append(f"user {index} ({script.name}): no verdict {script.verdict!r}")
        # No user saw another's answers: their own amount only.
        chat_digits = digits("\n".join(texts))
        if requested(index) not in chat_digits:
            problems.append(f"user {index} does not see their own grant")
        seen_others = [n for n in range(USERS) if n != index and requested(n) in chat_digits]
        if seen_others:
            problems.append(f"user {index} saw the grant of users {seen_others}")
    return problems


# The longest reply, in messages, that a redelivered update can send again (an intro with its
# first question, a verdict in its parts).
RESENT_REPLY_MAX = 4


def without_resent_replies(texts: list[str], expected: list[str]) -> list[str]:
    """texts without the messages that repeat one of the reply just before them.

    A replica killed after it sent a reply and before it marked the update done leaves the
    update pending; the replica that takes the user over handles it again. The state is not
    changed twice (the dialog keeps the last update id applied, and the /eligibility that began
    a check shows its start again), but the reply goes out again: Telegram's sendMessage has
    no idempotency key, so replies are at least once. Such a repeat is a copy of one of the last
    few messages, where the undisturbed bot said nothing new; anything else (a message it never
    sent, "a check in progress", a step out of order, a lost reply) is still a difference.
    """
    kept: list[str] = []
    for text in texts:
        at = len(kept)
        new = at < len(expected) and text == expected[at]
        if new or text not in kept[-RESENT_REPLY_MAX:]:
            kept.append(text)
    return kept


def requested(index: int) -> str:
    """The grant user `index` asks for, in digits."""
    refused = script_for(index).name == "en-refused"
    return str(amount_of(index) + (900_000 if refused else 0))


def _line(texts: list[str], at: int) -> str:
    return texts[at][:90] if at < len(texts) else "(nothing)"


def reminder_problems(
    core: FakeTelegram, subscribers: list[FakeUser], users: list[FakeUser]
) -> list[str]:
    """Each due reminder exactly once, whichever replica ran the scheduler and when."""
    problems = []
    for subscriber in subscribers:
        reminders = reminders_seen(core, subscriber)
        if len(reminders) != 1 or "AMIF 2020 call on victims of trafficking" not in reminders[0]:
            problems.append(f"subscriber {subscriber.id} got {len(reminders)} reminders")
        # The confirmation and the reminder, nothing twice.
        if len(core.sent(subscriber.id)) != 2:
            problems.append(f"subscriber {subscriber.id}: {len(core.sent(subscriber.id))} sent")
    problems.extend(f"user {u.id} got a reminder" for u in users if reminders_seen(core, u))
    return problems


def database_problems(
    url: str,
    feed: FleetFeed,
    reference: Reference,
    users: list[FakeUser],
    subscribers: list[FakeUser],
) -> list[str]:
    """The database holds what the users did, and nothing is left half done."""
    problems = []
    pending = database_rows(url, "SELECT COUNT(*) FROM inbox WHERE body IS NOT NULL")
    if pending != [(0,)]:
        problems.append(f"inbox rows left pending: {pending}")
    if isinstance(feed, WebhookFeed):
        stored = {row[0] for row in database_rows(url, "SELECT update_id FROM inbox")}
        lost = set(feed.acknowledged) - stored
        if lost:
            problems.append(f"acknowledged updates not in the inbox: {sorted(lost)[:5]}")
    # The dialogs the undisturbed bot keeps (each finished check, to show its verdict again).
    dialogs = sorted(row[0] for row in database_rows(url, "SELECT user_id FROM dialogs"))
    if dialogs != reference.dialog_users or dialogs != sorted(u.id for u in users):
        problems.append(
            f"{len(dialogs)} dialogs, the reference keeps {len(reference.dialog_users)}"
        )
    subscribed = database_rows(url, "SELECT user_id, call_id FROM subscriptions")
    if sorted(subscribed) != [(s.id, REMINDED_CALL) for s in subscribers]:
        problems.append(f"subscriptions: {sorted(subscribed)[:5]}")
    sent = database_rows(url, "SELECT user_id, call_id, days_before FROM reminders_sent")
    if sorted(sent) != [(s.id, REMINDED_CALL, 1) for s in subscribers]:
        problems.append(f"reminders_sent: {len(sent)} rows, expected {len(subscribers)}")
    return problems


# --- the deployment --------------------------------------------------------------------------

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
BOTS = ("bot-1", "bot-2")
# Stand-ins for the values compose takes from deploy/.env.
EXAMPLE_ENV = {
    "TELEGRAM_BOT_TOKEN": "123456789:AAexampleexampleexampleexampleexample",
    "BOT_DOMAIN": "bot.example.org",
    "WEBHOOK_SECRET": "example-secret",
    "POSTGRES_PASSWORD": "example-password",
}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolate(value: str) -> str:
    """A compose value with ${VAR:?message} and ${VAR:-default} filled in as compose would."""

    def fill(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if name in EXAMPLE_ENV:
            return EXAMPLE_ENV[name]
        assert kind == "-", f"${{{name}}} has no default and no example value"
        return rest

    return INTERPOLATION.sub(fill, value)


def compose() -> dict[str, Any]:
    """deploy/compose.yaml, parsed (anchors and merge keys resolved by YAML)."""
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_two_replicas_of_the_image_on_one_database_behind_a_proxy() -> None:
    services = compose()["services"]
    assert set(services) >= {"postgres", *BOTS, "proxy"}
    assert services["postgres"]["image"].startswith("postgres:15")
    urls = set()
    for name in BOTS:
        bot = services[name]
        build = bot["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
            DEPLOY.parent / "Dockerfile"
        )
        env = {key: interpolate(str(value)) for key, value in bot["environment"].items()}
        settings = Settings.from_env(env)  # every value is one the bot accepts
        assert settings.database_url is not None and "@postgres:5432/" in settings.database_url
        assert settings.webhook_url == "https://bot.example.org/tg"
        urls.add(settings.database_url)
        # Its own data directory (the knowledge's saved index), not shared with the other.
        assert [v.split(":")[1] for v in bot["volumes"]] == ["/data"]
    assert len(urls) == 1  # one database for both
    assert len({services[name]["volumes"][0] for name in BOTS}) == 2
    # Secrets come from the environment: no literal value in the file.
    for name in (*BOTS, "postgres", "migrate"):
        for key, value in services[name].get("environment", {}).items():
            if key in (
                "TELEGRAM_BOT_TOKEN",
                "WEBHOOK_SECRET",
                "POSTGRES_PASSWORD",
                "DATABASE_URL",
            ):
                assert str(value).count("${") >= 1, f"{name}: {key} is written in the file"


def test_the_proxy_and_the_health_checks_use_the_bots_real_endpoints() -> None:
    services = compose()["services"]
    bot_env = {k: interpolate(str(v)) for k, v in services["bot-1"]["environment"].items()}
    settings = Settings.from_env(bot_env)

    async def deliver(update: dict[str, Any]) -> None:
        return None

    async def ready() -> bool:
        return True

    app = webhook_app("s", settings.webhook_path, deliver, ready)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    assert {("POST", "/tg"), ("GET", "/healthz"), ("GET", "/readyz")} <= routes
    port = settings.webhook_port
    # Docker's health check of each replica: GET /healthz on the port it listens on.
    for name in BOTS:
        check = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in check
    # The proxy: the webhook's path to both replicas at random, only ready ones (/readyz).
    proxy = services["proxy"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in proxy["volumes"]}
    caddyfile = (DEPLOY / mounted["/etc/caddy/Caddyfile"]).read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    assert upstreams.group(1).split() == [f"{name}:{port}" for name in BOTS]
    assert f"handle /{settings.webhook_path} {{" in caddyfile
    assert re.search(r"^\s*health_uri /readyz$", caddyfile, re.M)
    assert re.search(r"^\s*lb_policy random$", caddyfile, re.M)
    assert set(proxy["depends_on"]) == set(BOTS)
    assert {"443:443", "80:80"} <= set(proxy["ports"])
