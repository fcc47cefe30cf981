"""The token and the webhook secret never reach a log line, tracebacks included."""

import io
import logging

from bot.telegram_app import RedactingFilter

TOKEN = "7000000001:AAFakeTelegramTokenForTests0123456789"
SECRET = "s3cret-hook"


def _logger_writing_to(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter([TOKEN, SECRET, ""]))
    logger = logging.getLogger(f"redaction-test-{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger


def test_messages_and_their_arguments_lose_the_secrets() -> None:
    out = io.StringIO()
    log = _logger_writing_to(out)
    log.warning("calling https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.warning("secret %s rejected", SECRET)
    text = out.getvalue()
    assert TOKEN not in text and SECRET not in text
    assert "bot<redacted>/getUpdates" in text and "secret <redacted> rejected" in text


def test_tracebacks_and_stacks_lose_the_secrets() -> None:
    out = io.StringIO()
    log = _logger_writing_to(out)
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage")
    except ConnectionError:
        log.exception("worker 1 failed")
    log.warning("where %s was", "here", stack_info=True)
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text and "worker 1 failed" in text
    assert TOKEN not in text and TOKEN.partition(":")[2] not in text
    assert "bot<redacted>/sendMessage" in text
