"""Wiring: build settings, bank, store, service, adapters and scheduler, and run them together."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from adapters.console.adapter import CHANNEL, ConsoleAdapter
from bot.content.bank import Filters, QuestionBank
from bot.content.cache import cache_in
from bot.feedback.engines import feedback_engine
from bot.ops.health import HealthCheck, HealthServer
from bot.ops.logs import configure_logging
from bot.ops.settings import Settings
from bot.schedule.clock import Clock, SystemClock
from bot.schedule.rules import RevealRule, Schedule, Slot
from bot.schedule.scheduler import PracticeScheduler
from bot.seam import ChatAdapter
from bot.service import PracticeService, ServiceConfig
from bot.signin import SignInLinks, signing_key
from bot.store import open_store
from bot.store.sql_store import sqlite_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from adapters.web.server import DashboardServer

log = logging.getLogger(__name__)


PROMPT = "mlq> "


class NoTerminal(Exception):
    """Only the console would run, but nobody can type into it (no platform token, no terminal)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    demo: bool = False
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)

    @property
    def interactive(self) -> bool:
        """True when a person types the input (a terminal), not a pipe, a file or nothing."""
        stdin: TextIO | None = self.stdin
        try:
            return stdin is not None and stdin.isatty()
        except ValueError:  # closed
            return False


def service_config(settings: Settings) -> ServiceConfig:
    return ServiceConfig(
        default_zone=ZoneInfo(settings.default_timezone),
        post_grace=timedelta(minutes=settings.post_grace_minutes),
        share_reveal_after=timedelta(minutes=settings.share_reveal_minutes),
        lease=timedelta(seconds=settings.claim_lease_seconds),
        send_concurrency=settings.send_concurrency,
    )


def log_level(settings: Settings, console_only: bool) -> str:
    """Return MLQ_LOG_LEVEL if set; else INFO on a platform, WARNING when only the console runs.

    On a platform the log is the operator's view (posts, reveals, commands at INFO); in a terminal
    the console is the user interface, so routine log lines stay out of it unless asked for.
    """
    if "log_level" in settings.model_fields_set:
        return settings.log_level
    return "WARNING" if console_only else "INFO"


async def run(settings: Settings, options: RunOptions, clock: Clock | None = None) -> int:
    """Run the bot until Ctrl-C, SIGTERM, `/quit` or the end of the console's input; return the exit code.

    Raise NoTerminal when only the console would run but its input is not a terminal (a container
    whose tokens are unset would otherwise run a console nobody can reach, and look healthy).
    """
    console_only = options.demo or not (settings.slack_enabled or settings.discord_enabled)
    configure_logging(log_level(settings, console_only), settings.log_json, secrets=settings.secrets())
    bank = QuestionBank.load(settings.content_dir, cache_in(settings.bank_cache_dir))
    if console_only and not options.demo and not options.interactive:
        raise NoTerminal(
            "no platform token is set, and standard input is not a terminal, so the console would "
            "have nobody to read from. Set SLACK_BOT_TOKEN (with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) "
            "or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (with SLACK_SIGNING_SECRET), "
            "and/or DISCORD_TOKEN (with DISCORD_APPLICATION_ID), or run mlq in a terminal."
        )
    with ExitStack() as temporary:
        url = settings.store_url
        if options.demo:
            # The demo starts from a fresh database each time, so it can always post "today".
            folder = temporary.enter_context(tempfile.TemporaryDirectory(prefix="mlq-demo-"))
            url = sqlite_url(Path(folder) / "demo.db")
        return await _serve(settings, options, bank, url, clock or SystemClock())


async def _serve(settings: Settings, options: RunOptions, bank: QuestionBank, url: str, clock: Clock) -> int:
    store = await open_store(url, setting=settings.store_variable)
    zone = ZoneInfo(settings.default_timezone)
    service = PracticeService(
        bank,
        store,
        clock,
        {},
        service_config(settings),
        feedback=feedback_engine(settings),
        signin=signin_links(settings, clock),
    )
    stop = asyncio.Event()
    adapters = build_adapters(settings, options, service, zone, stop, engine=store.engine)
    console = next((a for a in adapters if isinstance(a, ConsoleAdapter)), None)
    scheduler = PracticeScheduler(service, timedelta(seconds=settings.reconcile_seconds))
    loop = asyncio.get_running_loop()

    def shut_down() -> None:
        log.info("signal received: shutting down")
        service.begin_shutdown()
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, shut_down)
    log.info(
        "starting: %d questions, store %s, adapters %s",
        len(bank),
        store.engine.url.render_as_string(hide_password=True),
        ", ".join(service.adapters),
    )
    health = _health_server(settings, service, scheduler, adapters)
    dashboard = _dashboard(settings, service)
    started: list[ChatAdapter] = []
    try:
        if health is not None:
            await health.start()
        if dashboard is not None:
            await dashboard.start()
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
        await scheduler.start()
        if console is not None:
            if options.demo:
                reveal_after = timedelta(seconds=settings.demo_reveal_seconds)
                await _demo(service, console, reveal_after, stop, scripted=not options.interactive)
            await console.listen()
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        log.info("shutting down: finishing sends in flight")
        # Sends in flight finish before the adapters (and their connections) close.
        await scheduler.stop(timeout=6.0)
        for adapter in reversed(started):
            await adapter.stop()
        if dashboard is not None:
            await dashboard.stop()
        if health is not None:
            await health.stop()
        await store.close()
        log.info("stopped")
        if console is not None:
            options.stdout.write(_goodbye(options, store.location))
    return 0


def _goodbye(options: RunOptions, location: str) -> str:
    if options.demo:
        return "bye — the demo's database was temporary and is gone; `mlq run` keeps everything.\n"
    return f"bye — everything is saved in {location}.\n"


def _dashboard(settings: Settings, service: PracticeService) -> DashboardServer | None:
    if not settings.web_enabled:
        return None
    # Imported here so a bot without the dashboard never loads its templates and charts.
    from adapters.web.server import DashboardServer, web_config

    return DashboardServer(service, web_config(settings))


def signin_links(settings: Settings, clock: Clock) -> SignInLinks | None:
    """The dashboard's sign-in links when it is on (MLQ_WEB_PORT), signed with MLQ_WEB_SECRET or a key
    derived from the platform tokens; with neither, a key of this process alone (links made before a
    restart stop working, and replicas would not accept each other's)."""
    if not settings.web_enabled:
        return None
    platform = [
        value.get_secret_value()
        for value in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_client_secret,
            settings.discord_token,
        )
        if value is not None
    ]
    explicit = settings.web_secret.get_secret_value() if settings.web_secret is not None else None
    key = signing_key(explicit, platform)
    if key is None:
        log.warning(
            "MLQ_WEB_SECRET is unset and no platform token is set: sign-in links work in this process only"
        )
        key = secrets.token_bytes(32)
    if settings.web_base_url is None:
        log.warning(
            "MLQ_WEB_BASE_URL is unset: sign-in links point at %s, which only this machine opens",
            settings.web_url,
        )
    return SignInLinks(key, settings.web_url, clock)


def _health_server(
    settings: Settings, service: PracticeService, scheduler: PracticeScheduler, adapters: list[ChatAdapter]
) -> HealthServer | None:
    if settings.health_port is None:
        return None
    checks: dict[str, HealthCheck] = {"store": service.store.ping, "scheduler": scheduler.healthy}
    checks.update({adapter.platform: adapter.connected for adapter in adapters})
    return HealthServer(checks, service.metrics, settings.health_host, settings.health_port)


def build_adapters(
    settings: Settings,
    options: RunOptions,
    service: PracticeService,
    zone: ZoneInfo,
    stop: asyncio.Event,
    engine: AsyncEngine | None = None,
) -> list[ChatAdapter]:
    """Slack and/or Discord when their tokens are set; the console otherwise (and in the demo).

    `engine` is the store's: Slack installed to many workspaces keeps their tokens in it."""
    adapters: list[ChatAdapter] = []
    if settings.slack_enabled and not options.demo:
        # Imported here so the console default never loads the Slack stack.
        from adapters.slack.adapter import SlackAdapter
        from adapters.slack.config import slack_config

        adapters.append(SlackAdapter(service, slack_config(settings), engine))
    if settings.discord_enabled and not options.demo:
        from adapters.discord.adapter import DiscordAdapter, discord_config

        adapters.append(DiscordAdapter(service, discord_config(settings)))
    if not adapters:
        # Scripted demo input (a pipe or file) ends long before the reveal: `_demo` waits for both.
        scripted_demo = options.demo and not options.interactive
        console = ConsoleAdapter(
            service,
            options.stdin,
            options.stdout,
            zone,
            on_quit=stop.set,
            on_end_of_input=(lambda: None) if scripted_demo else stop.set,
            prompt=PROMPT if options.interactive else "",
            export_dir=settings.export_dir,
        )
        adapters.append(console)
    for adapter in adapters:
        service.register_adapter(adapter)
    return adapters


async def _demo(
    service: PracticeService,
    console: ConsoleAdapter,
    reveal_after: timedelta,
    stop: asyncio.Event,
    scripted: bool,
) -> None:
    """Compress a day: subscribe the terminal, post now, reveal after a short delay."""
    now = service.clock.now()
    local = now.astimezone(console.zone)
    schedule = Schedule(
        local.time().replace(second=0, microsecond=0),
        console.zone,
        frozenset(range(7)),
        RevealRule(after=reveal_after),
    )
    subscription = await service.store.save_subscription(CHANNEL, schedule, Filters(), now)
    console.stdout.write(
        f"Demo: today's question is posted now and revealed in {int(reveal_after.total_seconds())} "
        "seconds. Type an answer: it goes in the question's thread. (The demo uses a temporary "
        "database: nothing is kept after it ends.)\n"
    )
    await service.post_slot(subscription, Slot(local.date(), now, now + reveal_after))
    if scripted:
        # Scripted input (a pipe or file): leave once the reveal is shown and the input is done.
        async def finish() -> None:
            await console.revealed.wait()
            await console.input_closed.wait()
            stop.set()

        _background.add(task := asyncio.create_task(finish()))
        task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()
