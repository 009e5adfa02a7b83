# mlquestion: the bot in a slim Python image, run as an unprivileged user.
# Build: docker build -t mlquestion .    Run: see docker-compose.yml (PostgreSQL, migrations, health).

# --- requirements: the dependency list alone, read from pyproject.toml ---------------------------
# A stage of its own, so that the slow install below is keyed on the list itself: editing the README,
# the tool settings in pyproject.toml, the sources or the question bank reuses the installed layer.
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > requirements.txt

# --- build: the dependencies in a virtualenv, the package itself as a wheel ---------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /src

# Dependencies first: editing anything but the dependency list reuses this (slow) layer.
COPY --from=requirements /src/requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The package as a wheel (a regular install, not editable, so the runtime stage needs no source
# tree), built beside the virtualenv rather than into it: the virtualenv, and the runtime stage's
# copy of it, stay the same as long as the dependencies do. No bytecode written while pip runs, for
# the same reason.
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY adapters ./adapters
RUN PYTHONDONTWRITEBYTECODE=1 pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

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
    MLQ_BANK_CACHE_DIR=/app/cache \
    MLQ_HEALTH_HOST=0.0.0.0 \
    MLQ_HEALTH_PORT=8080

# A fixed numeric id, so orchestrators can verify "not root" without reading /etc/passwd.
RUN groupadd --system --gid 10001 mlq \
    && useradd --system --no-log-init --uid 10001 --gid mlq --create-home --home-dir /home/mlq \
        --shell /usr/sbin/nologin mlq

# The dependencies (one large layer, rebuilt only when they change), then the package (a small one).
COPY --from=build /opt/venv /opt/venv
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --no-deps --disable-pip-version-check /wheels/*.whl

# The settings' default MLQ_CONTENT_DIR (content/questions) is relative to the working directory:
# /app makes it resolve here too. The bank stays owned by root, so the bot can read it, not edit it.
WORKDIR /app
COPY content ./content
# Only the SQLite fallback (no DATABASE_URL) writes to disk; give it one writable folder.
# The parsed bank is cached here, filled now so the first start reads it instead of parsing every
# file; the bot's user owns the folder so that a bank mounted over /app/content updates the cache.
RUN mkdir /app/data /app/cache \
    && mlq content cache \
    && chown -R mlq:mlq /app/data /app/cache

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
