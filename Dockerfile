# mlquestion: the bot in a slim Python image, run as an unprivileged user.
# Build: docker build -t mlquestion .    Run: see docker-compose.yml (PostgreSQL, migrations, health).

# --- build: install the package and its dependencies into a virtualenv we copy out whole ---------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /src

# Dependencies first, read from pyproject.toml alone: editing the sources or the question bank then
# reuses this (slow) layer instead of reinstalling every dependency.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

# A regular (not editable) install, so the runtime stage needs no source tree.
COPY bot ./bot
COPY adapters ./adapters
RUN pip install --no-cache-dir .

# --- runtime -------------------------------------------------------------------------------------
FROM python:3.11-slim

# PYTHONUNBUFFERED: log lines reach `docker logs` as they happen, not when a buffer fills.
# The health server is off unless a port is set: the image turns it on, so that HEALTHCHECK below has
# something to ask, on every interface of the container's own network namespace, so that a published
# port reaches it (where it is published on the host is docker-compose.yml's call).
ENV PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH" \
    MLQ_CONTENT_DIR=/app/content/questions \
    MLQ_SQLITE_PATH=/app/data/mlquestion.db \
    MLQ_HEALTH_HOST=0.0.0.0 \
    MLQ_HEALTH_PORT=8080

# A fixed numeric id, so orchestrators can verify "not root" without reading /etc/passwd.
RUN groupadd --system --gid 10001 mlq \
    && useradd --system --no-log-init --uid 10001 --gid mlq --create-home --home-dir /home/mlq \
        --shell /usr/sbin/nologin mlq

COPY --from=build /opt/venv /opt/venv

# The settings' default MLQ_CONTENT_DIR (content/questions) is relative to the working directory:
# /app makes it resolve here too. The bank stays owned by root, so the bot can read it, not edit it.
WORKDIR /app
COPY content ./content
# Only the SQLite fallback (no DATABASE_URL) writes to disk; give it one writable folder.
RUN mkdir /app/data && chown mlq:mlq /app/data

USER 10001:10001

# 3000: Slack HTTP mode (/slack/events). 8080: /healthz and Prometheus /metrics.
EXPOSE 3000 8080

# The bot finishes sends in flight on SIGTERM; exec form keeps it PID 1 so it gets the signal itself.
STOPSIGNAL SIGTERM
# 200 from /healthz is healthy; a 503, a refused connection or a timeout raises, so python exits 1.
# No curl in slim images: the standard library is enough.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MLQ_HEALTH_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["mlq"]
CMD ["run"]
