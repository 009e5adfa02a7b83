"""The dashboard in a real browser: Debian's headless chromium driven by Playwright, on a phone-sized
window. Sign-in, each page, an accept and a reject, expired and reused links, other people's ids,
a form without its token, and the whole of it with JavaScript off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page

from tests.adapters.web.conftest import Site
from tests.adapters.web.scenario import ADMIN, ELSEWHERE, FRIEND, MEMBER, OTHER_WORKSPACE_TEXT

pytestmark = pytest.mark.browser


async def sign_in(page: Page, link: str) -> None:
    """Open the link and press Sign in, as a person would."""
    response = await page.goto(link)
    assert response is not None and response.status == 200
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/")


async def test_signing_in_opens_the_you_page_with_a_session_cookie(site: Site, page: Page) -> None:
    """The link's button lands on You; the cookie is HttpOnly and SameSite=Lax, for 12 hours."""
    await sign_in(page, site.link(MEMBER))
    assert await page.get_by_role("heading", name="Your progress").is_visible()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["mlq_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"
    assert session["expires"] - site.clock.now().timestamp() > 11 * 3600
    assert "mlq_signin" not in cookies


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Your progress"),
        ("/channels", "Channels"),
        ("/channels/C1", "#C1"),
        ("/suggestions", "Suggestions"),
        ("/suggestions/{member}", "Suggestion #{member}"),
    ],
)
async def test_each_page_fits_a_phone_and_breaks_no_rule(
    site: Site, page: Page, path: str, heading: str
) -> None:
    """On a 390-pixel window: the page opens, nothing scrolls sideways, no CSP or script error."""
    problems: list[str] = []
    page.on("console", lambda message: _note(problems, message))
    page.on("pageerror", lambda error: problems.append(str(error)))
    await sign_in(page, site.link(ADMIN, admin=True))
    number = site.seeded.member_suggestion
    response = await page.goto(site.url + path.format(member=number))
    assert response is not None and response.status == 200
    assert await page.get_by_role("heading", name=heading.format(member=number), exact=True).is_visible()
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 0, f"{path} scrolls sideways by {width}px"
    assert problems == []


def _note(problems: list[str], message: ConsoleMessage) -> None:
    if message.type in ("error", "warning"):
        problems.append(message.text)


async def test_a_chart_opens_its_table_view(site: Site, page: Page) -> None:
    """The table behind a chart is one click away, with no script needed."""
    await sign_in(page, site.link(MEMBER))
    figure = page.locator("figure", has=page.get_by_role("heading", name="Reviews due per day, next 30 days"))
    table = figure.locator("table")
    assert not await table.is_visible()
    await figure.get_by_text("Table view").click()
    assert await table.is_visible()
    assert await table.locator("tbody tr").count() == 30


async def test_an_admin_accepts_a_suggestion(site: Site, page: Page) -> None:
    """Choose a difficulty, press Accept: the page says where the draft went, and the file is there."""
    await sign_in(page, site.link(ADMIN, admin=True))
    await page.goto(f"{site.url}/suggestions")
    await page.get_by_role("link", name=f"#{site.seeded.member_suggestion}").click()
    await page.get_by_label("Difficulty").select_option("hard")
    await page.get_by_role("button", name="Accept as a draft").click()
    assert await page.get_by_role("status").inner_text() == "Accepted: the draft file is written."
    path = await page.locator("#path").inner_text()
    assert (site.drafts / "keras").is_dir() and path.endswith(".md")
    assert "difficulty: hard" in (site.drafts / "keras" / path.rsplit("/", 1)[1]).read_text(encoding="utf-8")


async def test_an_admin_rejects_and_the_suggester_reads_why(site: Site, browser: Browser, page: Page) -> None:
    """Reject with a reason; U2, signing in on another browser profile, finds it on their page."""
    await sign_in(page, site.link(ADMIN, admin=True))
    await page.goto(f"{site.url}/suggestions/{site.seeded.friend_suggestion}")
    await page.get_by_label("Reason for rejecting").fill(
        "We ask this already: see the bank's early-stopping question."
    )
    await page.get_by_role("button", name="Reject").click()
    assert "Rejected" in await page.get_by_role("status").inner_text()
    assert await page.locator("#status").inner_text() == "rejected"
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    theirs = await context.new_page()
    await sign_in(theirs, site.link(FRIEND))
    row = theirs.locator("tr", has_text="What is early stopping?")
    assert "see the bank's early-stopping question" in await row.inner_text()
    await context.close()


async def test_an_expired_link_is_refused(site: Site, page: Page) -> None:
    """Eleven minutes after it was made (by the service's clock), the link says it expired."""
    link = site.link(MEMBER)
    site.clock.advance(timedelta(minutes=11))
    response = await page.goto(link)
    assert response is not None and response.status == 410
    assert await page.get_by_role("heading", name="This link has expired").is_visible()
    assert await page.get_by_role("button", name="Sign in").count() == 0


async def test_a_reused_link_is_refused(site: Site, page: Page) -> None:
    """Signed in, signed out, then the same link again: already used."""
    link = site.link(MEMBER)
    await sign_in(page, link)
    await page.get_by_role("button", name="Sign out").click()
    assert await page.get_by_role("heading", name="Signed out").is_visible()
    assert await page.context.cookies() == []
    response = await page.goto(link)
    assert response is not None and response.status == 410
    assert await page.get_by_role("heading", name="This link was already used").is_visible()


async def test_other_peoples_ids_show_nothing_of_theirs(site: Site, page: Page) -> None:
    """A member asking for another workspace's suggestion: 403; an admin: 404 without its text;
    another workspace's channel: 404."""
    await sign_in(page, site.link(MEMBER))
    response = await page.goto(f"{site.url}/suggestions/{site.seeded.elsewhere_suggestion}")
    assert response is not None and response.status == 403
    await sign_in(page, site.link(ADMIN, admin=True))
    for path in (f"/suggestions/{site.seeded.elsewhere_suggestion}", f"/channels/{ELSEWHERE.channel_id}"):
        response = await page.goto(site.url + path)
        assert response is not None and response.status == 404
        assert OTHER_WORKSPACE_TEXT not in await page.content()


async def test_a_form_posted_without_its_token_is_refused(site: Site, page: Page) -> None:
    """The reject form with its hidden token removed: 403, and the suggestion stays new."""
    await sign_in(page, site.link(ADMIN, admin=True))
    await page.goto(f"{site.url}/suggestions/{site.seeded.friend_suggestion}")
    await page.locator("form.reject input[name=csrf]").evaluate("(input) => input.remove()")
    await page.get_by_label("Reason for rejecting").fill("no")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Reject").click()
    assert (await posted.value).status == 403
    assert await page.get_by_role("heading", name="Form refused").is_visible()
    suggestion = await site.service.store.get_suggestion(site.seeded.friend_suggestion)
    assert suggestion is not None and suggestion.status == "new"


async def test_everything_works_with_javascript_off(site: Site, browser: Browser) -> None:
    """No script: sign in, read a chart's table, reject a suggestion, sign out."""
    context = await browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await sign_in(page, site.link(ADMIN, admin=True))
    await page.goto(f"{site.url}/suggestions/{site.seeded.friend_suggestion}")
    assert await page.locator(".counter").count() == 0  # the enhancement is absent, the form is not
    await page.get_by_label("Reason for rejecting").fill("Too close to an existing question.")
    await page.get_by_role("button", name="Reject").click()
    assert await page.locator("#reason-shown").inner_text() == "Too close to an existing question."
    await page.get_by_role("button", name="Sign out").click()
    assert await page.get_by_role("heading", name="Signed out").is_visible()
    await context.close()


async def test_with_javascript_text_boxes_count_their_characters(site: Site, page: Page) -> None:
    """The progressive enhancement: a live count under each limited text box."""
    await sign_in(page, site.link(ADMIN, admin=True))
    await page.goto(f"{site.url}/suggestions/{site.seeded.friend_suggestion}")
    await page.get_by_label("Reason for rejecting").fill("Twelve chars")
    assert await page.locator("form.reject .counter").inner_text() == "12 / 500 characters"
