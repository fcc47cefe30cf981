# The AMIF assistant as a Telegram bot.
#   docker build -t amif-bot .
#   docker run -e TELEGRAM_BOT_TOKEN=... -v amif-data:/data amif-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid/gid, so a bind-mounted host folder can be given to the same ids.
RUN groupadd --system --gid 10001 amif \
    && useradd --system --uid 10001 --gid amif --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin amif

# Only what the package needs; tests and benchmarks stay out of the image.
COPY pyproject.toml README.md /tmp/src/
COPY requirements /tmp/src/requirements
COPY bot /tmp/src/bot
COPY handlers /tmp/src/handlers
COPY i18n /tmp/src/i18n
COPY knowledge /tmp/src/knowledge

# The locked versions (the ones CI tested), then the package itself with nothing unlocked added.
# A regular (not editable) install: the bot runs from site-packages. Catalogs are compiled here,
# as root, because site-packages is read-only for the bot's user at run time. The two checks
# fail the build when documents, facts, checks or catalogs were left out of the package:
# the first loads everything `amif-bot run` loads, the second answers a sample question.
RUN pip install --require-hashes -r /tmp/src/requirements/lock.txt \
    && pip install --no-deps --no-build-isolation /tmp/src \
    && amif-bot compile-catalogs \
    && export AMIF_DATA_DIR=/tmp/build-check \
    && python -c "from bot.config import Settings; from bot.telegram_app import create_services; \
s = create_services(Settings.from_env()); \
assert s.sessions.checks and s.assistant.kb.calls, 'knowledge files missing from the package'" \
    && amif-bot ask --json "What is the funding rate of the 2024 call?" \
        | grep -q '"answered": true' \
    && rm -rf /tmp/src /tmp/build-check

# The SQLite database and ingested documents. Ownership is set before VOLUME so that a new
# named volume starts out owned by the bot's user.
ENV AMIF_DATA_DIR=/data \
    WEBHOOK_LISTEN=0.0.0.0
RUN mkdir -p /data && chown amif:amif /data
VOLUME /data
WORKDIR /data

USER amif
# Used only in webhook mode (WEBHOOK_URL set); long polling needs no open port.
EXPOSE 8443
# Exec form: the bot is PID 1 and gets `docker stop`'s SIGTERM, which it handles by shutting
# down cleanly and closing the database.
CMD ["amif-bot", "run"]
