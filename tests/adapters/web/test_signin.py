"""Sign-in links and sessions over HTTP: a link shows a button, works once and for ten minutes,
opens a session cookie kept in the store (as a hash) for twelve hours, and sign-out ends it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from adapters.web.context import WebConfig
from adapters.web.server import DashboardServer
from bot.signin import SignInLinks
from bot.store.tables import web_sessions
from tests.adapters.web.conftest import Client, Site, status_with_cookie
from tests.adapters.web.scenario import FRIEND, MEMBER


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def test_a_link_shows_a_sign_in_button_and_is_not_used_up_by_opening_it(
    site: Site, client: Client
) -> None:
    """Opening the link (as a link previewer would) only shows the button; it still signs in after."""
    link = site.link()
    for _ in range(2):
        status, text = await client.get(link)
        assert status == 200 and "Sign in" in text and MEMBER in text
    assert not await site.service.store.signin_link_used(site.service.signin.verify(_token(link)).nonce)  # type: ignore[union-attr]
    status, text = await client.sign_in(link)
    assert status == 200 and "Your progress" in text


async def test_signing_in_sets_an_http_only_same_site_lax_cookie_for_twelve_hours(
    site: Site, client: Client
) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Path=/, Max-Age 12 h, not Secure over plain http."""
    _, text = await client.get(site.link())
    token = text.split('name="token" value="')[1].split('"')[0]
    async with client.http.post(
        site.url + "/signin", data={"csrf": client.csrf, "token": token}, allow_redirects=False
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/"
        cookie = response.cookies["mlq_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/" and cookie["max-age"] == str(12 * 3600)
    assert not cookie["secure"]


async def test_behind_https_the_session_cookie_is_secure_with_the_host_prefix(site: Site) -> None:
    """With an https base URL the cookie is `__Host-mlq_session`, Secure, with no Domain."""
    config = WebConfig("127.0.0.1", 0, "https://dashboard.example", site.drafts, site.drafts)
    server = DashboardServer(site.service, config)
    await server.start()
    try:
        links = SignInLinks(b"another-key-for-this-server-only-0123", server.address, site.clock)
        site.service.signin = links
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            link = links.issue(site.seeded.posts["C1"][0].thread.destination, MEMBER, False)  # type: ignore[union-attr]
            async with http.get(link) as response:
                text = await response.text()
                form_cookie = response.cookies["mlq_signin"]
            token = text.split('name="token" value="')[1].split('"')[0]
            form = {"csrf": form_cookie.value, "token": token}
            headers = {"Cookie": f"mlq_signin={form_cookie.value}"}
            async with http.post(
                server.address + "/signin", data=form, headers=headers, allow_redirects=False
            ) as response:
                assert response.status == 303
                cookie = response.cookies["__Host-mlq_session"]
        assert cookie["secure"] is True and cookie["httponly"] is True and not cookie["domain"]
        assert form_cookie["secure"] is True
    finally:
        await server.stop()


async def test_a_link_works_once(site: Site, client: Client, other_client: Client) -> None:
    """After one sign-in, the same link opens nothing, in any browser: 410 and why."""
    link = site.link()
    assert (await client.sign_in(link))[0] == 200
    status, text = await other_client.get(link)
    assert status == 410 and "already used" in text
    assert (await other_client.get("/"))[0] == 401


async def test_a_link_pressed_twice_signs_in_only_the_first(
    site: Site, client: Client, other_client: Client
) -> None:
    """Two browsers showing the same link's button: the second press is refused."""
    link = site.link()
    _, first = await client.get(link)
    await other_client.get(link)
    token = first.split('name="token" value="')[1].split('"')[0]
    assert (await client.post("/signin", {"token": token}))[0] == 200
    status, text = await other_client.post("/signin", {"token": token})
    assert status == 410 and "already used" in text


@pytest.mark.parametrize(
    ("after", "status"), [(timedelta(minutes=10), 200), (timedelta(minutes=10, seconds=1), 410)]
)
async def test_a_link_is_valid_for_ten_minutes(
    site: Site, client: Client, after: timedelta, status: int
) -> None:
    """A link opens until ten minutes after it was made, by the service's clock; then 410."""
    link = site.link()
    site.clock.advance(after)
    got, text = await client.sign_in(link)
    assert got == status
    if status == 410:
        assert "expired" in text


async def test_a_link_that_expires_on_its_page_is_refused_at_the_button(site: Site, client: Client) -> None:
    """The button checks the link's age again."""
    link = site.link()
    _, text = await client.get(link)
    site.clock.advance(timedelta(minutes=11))
    token = text.split('name="token" value="')[1].split('"')[0]
    status, text = await client.post("/signin", {"token": token})
    assert status == 410 and "expired" in text


@pytest.mark.parametrize("change", ["user", "signature", "truncated"])
async def test_a_forged_or_damaged_link_is_refused(site: Site, client: Client, change: str) -> None:
    """A link changed in any way (another user, another signature, cut short) is 403."""
    link = site.link()
    prefix, token = link.rsplit("/", 1)
    if change == "user":
        forged = SignInLinks(
            b"not-the-dashboards-key-0123456789abcdef", prefix.rsplit("/signin", 1)[0], site.clock
        )
        token = _token(forged.issue(site.seeded.posts["C1"][0].thread.destination, FRIEND, True))  # type: ignore[union-attr]
    elif change == "signature":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        token = token[: len(token) // 2]
    status, text = await client.get(f"{prefix}/{token}")
    assert status == 403 and "not valid" in text


async def test_the_sign_in_button_needs_its_form_cookie(site: Site, client: Client) -> None:
    """Posting a link's token from elsewhere (no form cookie) signs nobody in and keeps the link."""
    link = site.link()
    status, text = await client.post("/signin", {"token": _token(link), "csrf": "guessed"}, with_csrf=False)
    assert status == 403 and "Form refused" in text
    assert (await client.sign_in(link))[0] == 200


async def test_a_session_ends_after_twelve_hours(site: Site, client: Client) -> None:
    """Twelve hours after sign-in the cookie opens nothing and the row is gone."""
    await client.sign_in(site.link())
    site.clock.advance(timedelta(hours=12))
    status, text = await client.get("/")
    assert status == 401 and "/mlquestion dashboard" in text
    async with site.store.engine.connect() as conn:
        assert (await conn.execute(select(web_sessions))).all() == []


async def test_a_session_survives_a_restart(site: Site, client: Client) -> None:
    """Sessions live in the store: a new server process on the same database accepts the cookie."""
    await client.sign_in(site.link())
    await site.server.stop()
    restarted = DashboardServer(site.service, site.server.config)
    await restarted.start()
    try:
        status, text = await client.get(restarted.address + "/")
        assert status == 200 and "Your progress" in text
    finally:
        await restarted.stop()


async def test_signing_out_deletes_the_session(site: Site, client: Client) -> None:
    """After sign-out the old cookie, replayed, opens nothing: the store forgot it."""
    await client.sign_in(site.link())
    cookie = next(c.value for c in client.http.cookie_jar if c.key == "mlq_session")
    status, text = await client.post("/signout", {})
    assert status == 200 and "Signed out" in text
    assert (await status_with_cookie(site.url + "/", f"mlq_session={cookie}"))[0] == 401


async def test_the_store_keeps_only_a_hash_of_the_session_token(site: Site, client: Client) -> None:
    """A copy of the database opens no session: it holds the cookie's SHA-256, not the cookie."""
    await client.sign_in(site.link())
    cookie = next(c.value for c in client.http.cookie_jar if c.key == "mlq_session")
    async with site.store.engine.connect() as conn:
        rows = (await conn.execute(select(web_sessions))).all()
    assert [row.token_hash for row in rows] == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert all(cookie not in str(tuple(row)) for row in rows)


async def test_a_new_link_replaces_the_session_of_the_browser(site: Site, client: Client) -> None:
    """Signing in again in the same browser ends the session it had."""
    await client.sign_in(site.link(MEMBER))
    old = next(c.value for c in client.http.cookie_jar if c.key == "mlq_session")
    status, text = await client.sign_in(site.link(FRIEND))
    assert status == 200 and f"<strong>{FRIEND}</strong>" in text
    assert (await status_with_cookie(site.url + "/", f"mlq_session={old}"))[0] == 401


async def test_pages_without_a_session_say_how_to_sign_in(site: Site, client: Client) -> None:
    """No cookie, or one the store does not know: 401 and the command that gives a link."""
    for cookie in ("", "mlq_session=made-up"):
        status, text = await status_with_cookie(site.url + "/channels", cookie)
        assert status == 401 and "/mlquestion dashboard" in text
