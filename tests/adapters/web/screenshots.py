"""Screenshots of the dashboard's main pages for the README, taken in Debian's headless chromium.

    python -m tests.adapters.web.screenshots [OUT_DIR]     (default docs/screenshots)

Seeds the tests' scenario (eight weeks of a workspace's history, the real question bank's titles)
into a temporary database, serves the dashboard on loopback, signs in through real links and saves
each page at desktop width, and the You page at phone width too.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright

from adapters.web.context import WebConfig
from adapters.web.server import DashboardServer
from bot.content.bank import QuestionBank
from bot.content.loader import load_questions
from bot.schedule.clock import FakeClock
from bot.service import PracticeService, ServiceConfig
from bot.signin import SignInLinks
from bot.store import open_store
from bot.store.sql_store import sqlite_url
from tests.adapters.web.conftest import CHROMIUM, KEY, TODAY
from tests.adapters.web.scenario import ADMIN, HOME, MEMBER, PLATFORM, seed
from tests.support.fakes import RecordingAdapter

ROOT = Path(__file__).resolve().parents[3]
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}


async def sign_in(page: Page, link: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/")


async def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    # Titles from the real bank (problems a work in progress may have there do not matter here).
    bank = QuestionBank(load_questions(ROOT / "content" / "questions").questions)
    clock = FakeClock(datetime.combine(TODAY, time(9, 30), UTC))
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="mlq-shots-") as folder:
        store = await open_store(sqlite_url(Path(folder) / "shots.db"))
        service = PracticeService(
            bank,
            store,
            clock,
            {PLATFORM: RecordingAdapter(PLATFORM)},
            ServiceConfig(default_zone=ZoneInfo("UTC")),
        )
        seeded = await seed(service, clock, TODAY, weeks=8)
        config = WebConfig(
            "127.0.0.1", 0, "http://127.0.0.1", Path(folder) / "suggested", ROOT / "content" / "questions"
        )
        server = DashboardServer(service, config)
        await server.start()
        service.signin = SignInLinks(KEY, server.address, clock)
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
                shots = [
                    (MEMBER, False, "/", "you.png", DESKTOP),
                    (MEMBER, False, "/", "you-phone.png", PHONE),
                    (ADMIN, True, "/channels/C1", "channel-admin.png", DESKTOP),
                    (ADMIN, True, "/suggestions", "suggestions.png", DESKTOP),
                    (ADMIN, True, f"/suggestions/{seeded.member_suggestion}", "suggestion.png", DESKTOP),
                ]
                for user, admin, path, name, viewport in shots:
                    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
                    page = await context.new_page()
                    await sign_in(page, service.signin.issue(HOME, user, admin))
                    await page.goto(server.address + path)
                    await page.locator("details").evaluate_all(
                        "(all) => all.slice(0, 1).forEach(d => d.open = true)"
                    )
                    target = out / name
                    await page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                    await context.close()
                await browser.close()
        finally:
            await server.stop()
            await store.close()
    return saved


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    for path in asyncio.run(take(out)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
