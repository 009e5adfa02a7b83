"""`docker compose up`, for real: the image built from the Dockerfile, run by docker-compose.yml, against
the fake Slack Web API on this host. One scenario in steps, each printing what it measured; a failed
step skips the rest. Selected with `-m container` (left out of the plain `pytest` run) and run by
.ci/run as its own step, without xdist: `pytest -m container -n 0 -s -v tests/deploy`.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.compose_support import (
    ComposeProject,
    copy_project,
    docker_time,
    http_post,
    http_status,
    wait_for,
    write_env,
)
from tests.support.docker_engine import Engine, EngineUnavailable, find_engine, machine_lock
from tests.support.image_scan import scan_image
from tests.support.log_scan import SCAN
from tests.support.process_support import channels_with, delivered_keys
from tests.support.slack_bridge import ThreadedFake, bridge_address
from tests.support.slack_support import FakeSlack, command_form, signed_headers
from tests.support.stand_ins import ensure_base_images, is_stand_in

pytestmark = pytest.mark.container

PROJECT = "mlqci"
HEALTHZ = "http://127.0.0.1:8080/healthz"
SLACK_EVENTS = "http://127.0.0.1:3000/slack/events"
CHANNEL = "C0CONTAINER"
ADMIN = "U0ADMIN"
BOT_UID = 10001
STOP_GRACE_SECONDS = 15  # docker-compose.yml's stop_grace_period for the bot
RECONCILE_SECONDS = 5  # the shortest MLQ_RECONCILE_SECONDS the settings accept
REVEAL_AFTER = timedelta(minutes=1)  # the shortest reveal delay `subscribe` accepts
SUBSCRIBE_LEAD = timedelta(seconds=5)  # the subscription is saved well before its first slot
HEALTH_CONTAINERS = (f"{PROJECT}-health", f"{PROJECT}-health-db")


@dataclass
class Deployment:
    engine: Engine
    project: ComposeProject
    slack: ThreadedFake
    env: dict[str, str]
    bases: dict[str, str]
    slot: datetime | None = None

    @property
    def secrets(self) -> list[str]:
        return [self.env["SLACK_BOT_TOKEN"], self.env["SLACK_SIGNING_SECRET"], self.env["POSTGRES_PASSWORD"]]

    def command(self, text: str, secret: str | None = None) -> tuple[int, dict[str, Any] | None]:
        """Send `/mlquestion text` signed (with the configured secret unless told otherwise) to the
        published Slack port; return the HTTP status and what the bot posted to the response_url."""
        before = self.slack.read(lambda fake: len(fake.responses))
        body = command_form(self.slack.fake, text, user=ADMIN, channel=CHANNEL)
        headers = signed_headers(body, secret or self.env["SLACK_SIGNING_SECRET"])
        status, _ = http_post(SLACK_EVENTS, body, headers)
        if status != 200:
            return status, None
        self.slack.wait_until(f"a reply to /mlquestion {text}", lambda fake: len(fake.responses) > before, 20)
        return status, dict(self.slack.read(lambda fake: fake.responses[before]))

    def scan_logs(self) -> None:
        """Scan the services' logs for this run's secrets (before `down` or a recreate drops them)."""
        SCAN.scan(self.project.logs(), "docker compose logs")

    def image(self) -> str:
        return str(self.project.inspect("bot")["Image"])

    def wait_healthy(self, timeout: float = 90) -> float:
        """Wait for /healthz to answer 200 on the published port; fail at once if the bot exits."""

        def healthy() -> bool:
            if http_status(HEALTHZ) == 200:
                return True
            bot = self.project.inspect("bot")
            if bot["RestartCount"] > 0 or bot["State"]["Status"] == "exited":
                tail = "\n".join(self.project.logs("bot").splitlines()[-12:])
                raise AssertionError(f"the bot exited instead of turning healthy; its last lines:\n{tail}")
            return False

        return wait_for("/healthz answering 200 on the published port", healthy, timeout)


def say(line: str) -> None:
    """One line of the scenario's report (run with -s to see it next to each step)."""
    print(f"\n    {line}", end="")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """The engine, held for this run alone (another run on the machine waits for the lock)."""
    with machine_lock() as waited:
        try:
            found = find_engine()
        except EngineUnavailable as exc:
            pytest.skip(f"no Docker engine can run here: {exc}")
        if waited > 1:
            found.how.append(f"waited {waited:.0f} s for another run on this machine to finish")
        yield found
        found.stop_daemon()


@pytest.fixture(scope="module")
def deployment(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """The repository copied to a temporary project folder, its `.env` aimed at the fake Slack."""
    failures_before = request.session.testsfailed
    try:
        bases = ensure_base_images(engine)
    except EngineUnavailable as exc:
        pytest.skip(f"the base images are missing and no stand-in can be built here: {exc}")
    folder = Path(tempfile.mkdtemp(prefix="mlq-compose-"))
    project = ComposeProject(engine, copy_project(folder / "mlquestion"), PROJECT)
    project("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)  # an earlier run's
    engine("rm", "--force", *HEALTH_CONTAINERS, check=False)
    slack = ThreadedFake(bridge_address(engine))
    slack.fake.admins.add(ADMIN)
    slack.fake.members.add(CHANNEL)
    env = {
        "SLACK_BOT_TOKEN": f"xoxb-container-{secrets.token_hex(8)}",
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "MLQ_SLACK_MODE": "http",
        "SLACK_API_URL": slack.fake.api_url,
        "MLQ_RECONCILE_SECONDS": str(RECONCILE_SECONDS),
        "MLQ_LOG_LEVEL": "INFO",
        "POSTGRES_PASSWORD": secrets.token_hex(12),
    }
    write_env(project.directory, env)
    deployed = Deployment(engine, project, slack, env, bases)
    SCAN.register(*deployed.secrets)
    try:
        yield deployed
    finally:
        if request.session.testsfailed > failures_before:
            print("\n--- compose ps -a ---\n" + project("ps", "-a", check=False).stdout)
            print(
                "--- compose logs (last lines) ---\n"
                + project("logs", "--no-color", "--tail=60", check=False).stdout
            )
        deployed.scan_logs()
        engine("rm", "--force", *HEALTH_CONTAINERS, check=False)
        project("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        # Images stay: the next run builds from their layers (the build stage's, untagged, included).
        slack.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- the engine and the images ---------------------------------------------------------------------


def test_a_docker_engine_and_compose_are_at_hand(engine: Engine) -> None:
    """`docker info` answers (installed and started here if it had to be) and compose runs."""
    say(f"{engine.versions()}; {'; '.join(engine.how)}")


def test_the_base_images_are_present(deployment: Deployment) -> None:
    """python:3.11-slim and postgres:16-alpine exist locally: the registry's, or stand-ins (cached)."""
    for tag, origin in deployment.bases.items():
        say(f"{tag}: {origin}")
        deployment.engine("image", "inspect", tag)


def test_the_image_builds(deployment: Deployment) -> None:
    """`docker compose build` builds the Dockerfile as it is; the size is reported."""
    built = deployment.project("build")
    image = next(
        name
        for name in (f"{PROJECT}_bot", f"{PROJECT}-bot")
        if deployment.engine("image", "inspect", name, check=False).code == 0
    )
    size, base = (
        int(deployment.engine("image", "inspect", "--format", "{{.Size}}", name).stdout) / 1e6
        for name in (image, "python:3.11-slim")
    )
    kind = "stand-in" if is_stand_in(deployment.engine, "python:3.11-slim") else "registry"
    say(f"built in {built.seconds:.0f} s; image {size:.0f} MB: {size - base:.0f} MB over python:3.11-slim")
    say(f"({kind} image, {base:.0f} MB)")
    assert size > base


# --- compose up, end to end ------------------------------------------------------------------------


def test_up_starts_the_database_and_it_turns_healthy(deployment: Deployment) -> None:
    """`docker compose up -d` returns once the db is healthy, migrate is done and the bot started."""
    busy = [port for port in (8080, 3000, 8000) if not port_is_free(port)]
    assert not busy, f"127.0.0.1 ports {busy} are taken: docker-compose.yml publishes the bot there"
    up = deployment.project("up", "--detach", timeout=300)
    say(f"up -d in {up.seconds:.0f} s")
    assert deployment.project.health("db") == "healthy"


def test_migrate_runs_once_and_completes(deployment: Deployment) -> None:
    """The migrate service ran `mlq db upgrade` and exited 0."""
    state = deployment.project.state("migrate")
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)


def test_the_bot_answers_healthz_through_the_published_port(deployment: Deployment) -> None:
    """GET 127.0.0.1:8080/healthz answers 200 (database, Slack adapter and scheduler all fine)."""
    say(f"200 after {deployment.wait_healthy():.1f} s")


def test_a_signed_command_is_answered_through_the_published_slack_port(deployment: Deployment) -> None:
    """A signed /mlquestion gets a question on its response_url; a forged signature gets 401."""
    status, reply = deployment.command("")
    assert status == 200 and reply is not None
    assert reply.get("blocks") or reply.get("text"), reply
    forged, nothing = deployment.command("", secret="not-the-signing-secret")
    assert (forged, nothing) == (401, None)


def test_a_channel_subscribes_for_the_next_minute(deployment: Deployment) -> None:
    """An admin's signed `/mlquestion subscribe HH:MM UTC daily reveal after 1m` is confirmed."""
    now = datetime.now(UTC)
    slot = (now + SUBSCRIBE_LEAD).replace(second=0, microsecond=0) + timedelta(minutes=1)
    status, reply = deployment.command(f"subscribe {slot:%H:%M} UTC daily reveal after 1m holidays none")
    assert status == 200 and reply is not None
    assert f"{slot:%H:%M}" in json.dumps(reply), reply
    deployment.slot = slot
    say(f"first post due at {slot:%H:%M:%S} UTC, {(slot - now).total_seconds():.0f} s from now")


# --- the daily cycle, through a restart -------------------------------------------------------------


def _reveals(fake: FakeSlack) -> int:
    return channels_with(fake, "reveal")[CHANNEL]


def _key(message: dict[str, Any]) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def test_the_daily_post_arrives_at_its_minute(deployment: Deployment) -> None:
    """The subscription's question is posted to the channel at its slot."""
    assert deployment.slot is not None
    wait = (deployment.slot - datetime.now(UTC)).total_seconds() + 45
    deployment.slack.wait_until(
        "the daily post", lambda fake: channels_with(fake, "post")[CHANNEL] >= 1, max(wait, 5)
    )
    late = (datetime.now(UTC) - deployment.slot).total_seconds()
    say(f"posted {late:.1f} s after its slot")


def test_compose_restarts_the_bot_between_post_and_reveal(deployment: Deployment) -> None:
    """`docker compose restart bot` after the post, before its reveal: the bot is back and healthy."""
    assert deployment.slot is not None
    assert deployment.slack.read(_reveals) == 0, "revealed before the restart"
    restart = deployment.project("restart", "bot")
    healthy = deployment.wait_healthy()
    left = (deployment.slot + REVEAL_AFTER - datetime.now(UTC)).total_seconds()
    say(f"restarted in {restart.seconds:.1f} s, /healthz 200 {healthy:.1f} s later")
    say(f"{left:.0f} s before the reveal is due")
    assert deployment.slack.read(_reveals) == 0 and left > 0, "the reveal came before the restart ended"


# --- what the image promises (checked while the reveal is pending) --------------------------------


def test_the_bot_runs_as_uid_10001(deployment: Deployment) -> None:
    """The image's user is 10001:10001, and every process in the bot's container runs as 10001."""
    inspected = json.loads(deployment.engine("image", "inspect", deployment.image()).stdout)[0]
    assert inspected["Config"]["User"] == f"{BOT_UID}:{BOT_UID}"
    top = deployment.engine("top", deployment.project.container("bot"), "-eo", "pid,uid,args").stdout
    processes = [line.split(None, 2)[1:] for line in top.splitlines()[1:] if line.strip()]
    say("processes: " + "; ".join(f"uid {uid}: {args[:40]}" for uid, args in processes))
    assert processes and {uid for uid, _ in processes} == {str(BOT_UID)}


BANK_PROBE = """
import json, os, pathlib
bank = pathlib.Path(os.environ["MLQ_CONTENT_DIR"])
files = sorted(bank.rglob("*.md"))
result = {"uid": os.getuid(), "files": len(files), "read": len(files[0].read_text()) > 0}
attempts = {"edit": lambda: open(files[0], "a"), "create": lambda: open(bank / "new.md", "w"),
            "delete": lambda: files[0].unlink()}
for name, attempt in attempts.items():
    try:
        attempt()
        result[name] = "allowed"
    except PermissionError:
        result[name] = "refused"
print(json.dumps(result))
"""


def test_the_question_bank_is_read_only_to_the_bot(deployment: Deployment) -> None:
    """Inside the running bot: bank files can be read, not edited, created or deleted."""
    probe = deployment.project("exec", "-T", "bot", "python", "-c", BANK_PROBE)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    say(f"{found['files']} question files, read as uid {found['uid']}")
    assert found["read"] and found["files"] > 0
    assert {found[k] for k in ("edit", "create", "delete")} == {"refused"}, found


def test_no_secret_and_no_env_file_is_in_the_image(deployment: Deployment) -> None:
    """No layer holds a `.env` or any of this run's secret values (the build context had a `.env`
    with them); nor do the image's history or config, whose ENV names no credential."""
    scan = scan_image(deployment.engine, deployment.image(), deployment.secrets)
    say(f"{scan.layers} layers ({scan.files} files) and {scan.history} history entries scanned")
    assert scan.findings == []


def test_the_healthcheck_follows_the_database(deployment: Deployment) -> None:
    """The image's HEALTHCHECK turns unhealthy when the database goes and healthy when it returns.

    On a second container of the image with a database of its own (so the scenario's is left alone),
    the probe's timings shortened to 2 s and 2 retries (the image's 30 s and 3 retries would take
    minutes): the command probed is the image's own."""
    engine, project, image = deployment.engine, deployment.project, deployment.image()
    check = json.loads(engine("image", "inspect", image).stdout)[0]["Config"]["Healthcheck"]
    assert check["Test"][:2] == ["CMD", "python"] and check["Interval"] == 30 * 10**9, check
    bot, database = HEALTH_CONTAINERS
    password = deployment.env["POSTGRES_PASSWORD"]
    network = ("--network", project.network())
    engine(
        "run", "--detach", "--name", database, *network, "--env", "POSTGRES_USER=mlq",
        "--env", f"POSTGRES_PASSWORD={password}", "--env", "POSTGRES_DB=mlquestion", "postgres:16-alpine",
    )  # fmt: skip
    ready = ("exec", database, "pg_isready", "--host=127.0.0.1", "--username=mlq", "--dbname=mlquestion")
    wait_for("the second database", lambda: engine(*ready, check=False).code == 0, 90)
    engine(
        "run", "--detach", "--name", bot, *network, "--init", "--cap-drop=ALL",
        "--env-file", str(project.directory / ".env"),
        "--env", f"DATABASE_URL=postgresql://mlq:{password}@{database}:5432/mlquestion",
        "--health-interval=2s", "--health-retries=2", "--health-timeout=5s", "--health-start-period=0s",
        image,
    )  # fmt: skip

    def status() -> str:
        return engine("inspect", "--format", "{{.State.Health.Status}}", bot).stdout.strip()

    healthy = wait_for("the health check healthy", lambda: status() == "healthy", 90)
    engine("stop", database)
    gone = wait_for("the health check unhealthy with the db stopped", lambda: status() == "unhealthy", 60)
    engine("start", database)
    back = wait_for("the health check healthy with the db back", lambda: status() == "healthy", 90)
    say(f"healthy after {healthy:.0f} s; db stopped: unhealthy after {gone:.0f} s")
    say(f"db started again: healthy after {back:.0f} s")
    engine("rm", "--force", *HEALTH_CONTAINERS)


def test_the_reveal_arrives_once_in_the_question_thread(deployment: Deployment) -> None:
    """The model answer reaches the question's thread at its time, and no message is ever sent twice."""
    assert deployment.slot is not None
    wait = (deployment.slot + REVEAL_AFTER - datetime.now(UTC)).total_seconds() + 45
    deployment.slack.wait_until("the reveal", lambda fake: _reveals(fake) >= 1, max(wait, 5))
    late = (datetime.now(UTC) - deployment.slot - REVEAL_AFTER).total_seconds()
    time.sleep(RECONCILE_SECONDS + 2)  # one more catch-up pass: nothing may be sent again
    keys = deployment.slack.read(delivered_keys)
    posted = deployment.slack.read(lambda fake: list(fake.messages.get(CHANNEL, [])))
    question = next(m for m in posted if _key(m).startswith("mlq-post-"))
    answers = [m for m in posted if _key(m).startswith("mlq-reveal-")]
    say(f"revealed {late:.1f} s after its time; delivery keys: {dict(keys)}")
    assert {key: n for key, n in keys.items() if n != 1} == {}
    assert answers and all(m["thread_ts"] == question["ts"] for m in answers)


# --- the named volume, a graceful stop, no start without tokens --------------------------------------


def test_down_then_up_keeps_the_subscription(deployment: Deployment) -> None:
    """After `docker compose down` and `up -d`, the channel's settings still show its subscription
    (the named volume kept the database) and nothing already sent is sent again."""
    assert deployment.slot is not None
    sent = deployment.slack.read(delivered_keys)
    deployment.scan_logs()
    down = deployment.project("down", "--timeout", str(STOP_GRACE_SECONDS))
    assert deployment.project("ps", "-q").stdout.strip() == ""
    up = deployment.project("up", "--detach", timeout=300)
    deployment.wait_healthy()
    status, reply = deployment.command("settings")
    assert status == 200 and reply is not None
    say(f"down in {down.seconds:.0f} s, up in {up.seconds:.0f} s")
    say(f"settings: {(reply.get('text') or '')[:70]!r}")
    assert f"{deployment.slot:%H:%M}" in json.dumps(reply), reply
    time.sleep(RECONCILE_SECONDS + 2)
    assert deployment.slack.read(delivered_keys) == sent


def test_stop_exits_the_bot_with_0_within_the_grace_period(deployment: Deployment) -> None:
    """`docker compose stop`: the bot finishes on SIGTERM with exit code 0 before the 15 s grace ends."""
    asked = datetime.now(UTC)
    deployment.project("stop")
    state = deployment.project.state("bot")
    took = (docker_time(state["FinishedAt"]) - asked).total_seconds()
    say(f"bot exited {state['ExitCode']} {took:.1f} s after stop was asked")
    assert (state["Status"], state["ExitCode"], state["OOMKilled"]) == ("exited", 0, False)
    assert took < STOP_GRACE_SECONDS


def test_without_tokens_the_bot_refuses_to_start(deployment: Deployment) -> None:
    """With no platform token in `.env`, `up` starts a bot that exits non-zero naming the tokens to
    set: `docker compose logs` shows why, and `docker compose ps` never shows it healthy (it restarts)."""
    deployment.scan_logs()
    write_env(deployment.project.directory, {"POSTGRES_PASSWORD": deployment.env["POSTGRES_PASSWORD"]})
    deployment.project("up", "--detach", "--no-deps", "bot", timeout=120)
    exits: set[int] = set()

    def exited() -> bool:
        state = deployment.project.state("bot")
        if state["Status"] != "running":
            exits.add(int(state["ExitCode"]))
        return bool(exits)

    wait_for("the bot exiting without tokens", exited, 60, every=0.1)
    shown = " ".join(_compose_ps_line(deployment).split())
    logs = deployment.project.logs("bot")
    restarts = deployment.project.inspect("bot")["RestartCount"]
    say(f"exit code {sorted(exits)}, restarted {restarts} time(s); compose ps: {shown}")
    say("compose logs: " + next((line for line in logs.splitlines() if "TOKEN" in line), "(nothing)")[:200])
    assert 0 not in exits
    assert "SLACK_BOT_TOKEN" in logs and "DISCORD_TOKEN" in logs
    assert "(healthy)" not in shown
    assert http_status(HEALTHZ) != 200


def _compose_ps_line(deployment: Deployment) -> str:
    """The bot's line of `docker compose ps` (`Restarting`, `Exit 2`… when it will not start)."""
    listing = deployment.project("ps", "-a").stdout.splitlines()
    return next((line for line in listing if "bot" in line.split(" ", 1)[0]), "(no bot line)")
