"""Fixtures for the dashboard: the seeded workspace served on loopback, an HTTP client that keeps
cookies, and headless Debian chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from adapters.web.context import WebConfig
from adapters.web.server import DashboardServer
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import PracticeService, ServiceConfig
from bot.signin import SignInLinks
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from tests.adapters.web.scenario import HOME, MEMBER, PLATFORM, Seeded, scenario_bank, seed
from tests.support.fakes import RecordingAdapter
from tests.support.log_scan import SCAN

KEY = b"test-dashboard-signing-key-not-real-0123"
TODAY = date(2026, 11, 23)  # a Monday
CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = (
    f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`; .ci/run does)"
)
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_TOKEN = re.compile(r'name="token" value="([^"]*)"')
_SIGNIN_FORM = re.compile(r'action="/signin">\s*<input type="hidden" name="csrf" value="([^"]*)"')


@dataclass
class Site:
    """The dashboard of a seeded service, listening on loopback; time is the test's FakeClock."""

    service: PracticeService
    server: DashboardServer
    clock: FakeClock
    seeded: Seeded
    drafts: Path
    store: SqlStore
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = self.server.address

    async def restart(self, **changes: object) -> None:
        """Serve again with some settings changed (admin_user_ids=…), on a new port."""
        await self.server.stop()
        self.server = DashboardServer(self.service, replace(self.server.config, **changes))  # type: ignore[arg-type]
        await self.server.start()
        self.url = self.server.address
        self.service.signin = SignInLinks(KEY, self.url, self.clock)

    def link(self, user: str = MEMBER, admin: bool = False, where: Destination = HOME) -> str:
        """A sign-in link as `/mlquestion dashboard` makes it (its token must never reach a log)."""
        assert self.service.signin is not None
        link = self.service.signin.issue(where, user, admin)
        SCAN.register(link.rsplit("/", 1)[1])
        return link


def _service(store: SqlStore, clock: FakeClock) -> PracticeService:
    config = ServiceConfig(default_zone=ZoneInfo("UTC"))
    return PracticeService(scenario_bank(), store, clock, {PLATFORM: RecordingAdapter(PLATFORM)}, config)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """The scenario seeded once per test process into an SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("dashboard") / "seeded.db"

    async def build() -> Seeded:
        clock = FakeClock(datetime.combine(TODAY, time(9, 30), UTC))
        store = await open_store(sqlite_url(path))
        try:
            return await seed(_service(store, clock), clock, TODAY)
        finally:
            await store.close()

    return path, asyncio.run(build())


@pytest.fixture
async def site(seeded_database: tuple[Path, Seeded], tmp_path: Path) -> AsyncIterator[Site]:
    """The seeded workspace's dashboard on loopback (a copy of the seeded database per test)."""
    template, seeded = seeded_database
    shutil.copyfile(template, tmp_path / "web.db")
    store = await open_store(sqlite_url(tmp_path / "web.db"))
    clock = FakeClock(datetime.combine(TODAY, time(9, 30), UTC))
    service = _service(store, clock)
    (tmp_path / "bank").mkdir()
    config = WebConfig("127.0.0.1", 0, "http://127.0.0.1", tmp_path / "suggested", tmp_path / "bank")
    server = DashboardServer(service, config)
    await server.start()
    service.signin = SignInLinks(KEY, server.address, clock)
    running = Site(service, server, clock, seeded, tmp_path / "suggested", store)
    yield running
    await running.server.stop()
    await store.close()


async def status_with_cookie(url: str, cookie: str) -> tuple[int, str]:
    """GET url from a fresh client sending only this Cookie header (empty: none)."""
    headers = {"Cookie": cookie} if cookie else {}
    async with aiohttp.ClientSession() as fresh, fresh.get(url, headers=headers) as response:
        return response.status, await response.text()


class Client:
    """A browser without a browser: keeps cookies, reads the forms' tokens from the last page."""

    def __init__(self, site: Site, http: aiohttp.ClientSession) -> None:
        self.site = site
        self.http = http
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self._url(path), allow_redirects=False) as response:
            text = await response.text()
        self.csrf = (_CSRF.findall(text) or [self.csrf])[0]
        return response.status, text

    async def post(self, path: str, data: dict[str, str], with_csrf: bool = True) -> tuple[int, str]:
        form = {"csrf": self.csrf, **data} if with_csrf else data
        async with self.http.post(self._url(path), data=form, allow_redirects=True) as response:
            text = await response.text()
        self.csrf = (_CSRF.findall(text) or [self.csrf])[0]
        return response.status, text

    async def sign_in(self, link: str) -> tuple[int, str]:
        """Open the link and press its button; return the page it lands on."""
        status, text = await self.get(link)
        if status != 200:
            return status, text
        self.csrf = _SIGNIN_FORM.findall(text)[0]
        status, text = await self.post("/signin", {"token": _TOKEN.findall(text)[0]})
        for cookie in self.http.cookie_jar:
            SCAN.register(cookie.value)
        return status, text

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.site.url + path


@pytest.fixture
async def client(site: Site) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Client(site, http)


@pytest.fixture
async def other_client(site: Site) -> AsyncIterator[Client]:
    """A second person's browser."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Client(site, http)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile (no cookies) with a phone-sized window."""
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    await context.close()


ADMIN_RECHECK_PASSED = timedelta(hours=1, minutes=1)
