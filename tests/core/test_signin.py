"""One-time sign-in links to the dashboard, in the core: what `/mlquestion dashboard` answers, and
how a link is signed, bound to its person and place, and aged by the injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages import Notice, NoticeKind
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.signin import LINK_LIFETIME, LinkRefused, SignInLinks, signing_key

KEY = b"core-test-signing-key-not-real-0123456789"
HERE = Destination("slack", "C1", "T1")


@pytest.fixture
def links(clock: FakeClock) -> SignInLinks:
    return SignInLinks(KEY, "https://dash.example/", clock)


def token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_a_link_points_at_the_dashboards_sign_in_page(links: SignInLinks) -> None:
    """Links are `<base URL>/signin/<token>`, the base URL's trailing slash dropped."""
    assert links.issue(HERE, "U1", False).startswith("https://dash.example/signin/")


def test_a_link_carries_who_where_and_whether_admin(links: SignInLinks, clock: FakeClock) -> None:
    """The claim names the platform, workspace, channel, user, admin flag and the time it was made."""
    claim = links.verify(token(links.issue(HERE, "U1", True)))
    assert (claim.destination, claim.user_id, claim.is_admin) == (HERE, "U1", True)
    assert claim.user_key == "slack:T1:U1"
    assert claim.issued_at == clock.now().replace(microsecond=0)


def test_every_link_has_its_own_nonce(links: SignInLinks) -> None:
    """Two links for the same person are two single-use links."""
    first, second = (links.verify(token(links.issue(HERE, "U1", False))) for _ in range(2))
    assert first.nonce != second.nonce


@pytest.mark.parametrize(
    ("age", "valid"), [(LINK_LIFETIME, True), (LINK_LIFETIME + timedelta(seconds=1), False)]
)
def test_a_link_lasts_ten_minutes_by_the_clock(
    links: SignInLinks, clock: FakeClock, age: timedelta, valid: bool
) -> None:
    """Valid through its tenth minute, expired after, by the injected clock."""
    link = links.issue(HERE, "U1", False)
    clock.advance(age)
    if valid:
        links.verify(token(link))
    else:
        with pytest.raises(LinkRefused) as refused:
            links.verify(token(link))
        assert refused.value.reason == "expired"


def test_a_link_from_the_future_is_refused(links: SignInLinks, clock: FakeClock) -> None:
    """Made more than a minute ahead of this clock (a forged time or a broken clock): invalid."""
    link = links.issue(HERE, "U1", False)
    clock.advance(-timedelta(minutes=2))
    with pytest.raises(LinkRefused, match="invalid"):
        links.verify(token(link))


@pytest.mark.parametrize("damage", ["another key", "one character", "cut"])
def test_a_changed_link_is_refused(links: SignInLinks, clock: FakeClock, damage: str) -> None:
    """Signed with another key, one character changed, or cut short: invalid."""
    text = token(links.issue(HERE, "U1", False))
    if damage == "another key":
        text = token(SignInLinks(b"x" * 40, "https://dash.example", clock).issue(HERE, "U1", True))
    elif damage == "one character":
        text = ("B" if text[0] == "A" else "A") + text[1:]
    else:
        text = text[:20]
    with pytest.raises(LinkRefused, match="invalid"):
        links.verify(text)


def test_the_key_is_the_configured_secret_when_set() -> None:
    """MLQ_WEB_SECRET wins over anything derived."""
    assert signing_key("s" * 32, ["xoxb-token"]) == b"s" * 32


def test_a_derived_key_is_the_same_for_the_same_tokens_in_any_order() -> None:
    """Replicas with the same platform tokens derive the same key; another token, another key."""
    assert signing_key(None, ["a", "b"]) == signing_key(None, ["b", "a"])
    assert signing_key(None, ["a", "b"]) != signing_key(None, ["a", "c"])
    assert signing_key(None, ["a"]) != b"a"


def test_there_is_no_key_without_a_secret_or_a_token() -> None:
    """The console alone has nothing to derive from: the caller decides (a per-process key)."""
    assert signing_key(None, []) is None


async def test_the_dashboard_command_answers_privately_with_a_link(
    service: PracticeService, destination: Destination, clock: FakeClock
) -> None:
    """`/mlquestion dashboard`: a private notice with a link for the caller, valid 10 minutes."""
    service.signin = SignInLinks(KEY, "https://dash.example", clock)
    [response] = await service.handle_command(Invocation(destination, "U7", is_admin=True), "dashboard")
    assert response.private and isinstance(response.message, Notice)
    link = next(word for word in response.message.text.split() if word.startswith("https://"))
    claim = service.signin.verify(token(link))
    assert (claim.user_id, claim.destination, claim.is_admin) == ("U7", destination, True)
    assert "10 minutes" in response.message.text


async def test_the_dashboard_command_says_when_the_dashboard_is_off(
    service: PracticeService, destination: Destination
) -> None:
    """Without MLQ_WEB_PORT there is no dashboard: an error naming the setting."""
    [response] = await service.handle_command(Invocation(destination, "U7"), "dashboard")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "MLQ_WEB_PORT" in response.message.text


async def test_the_dashboard_command_takes_no_arguments(
    service: PracticeService, destination: Destination
) -> None:
    """`dashboard now` is a usage error, like the other one-word commands."""
    [response] = await service.handle_command(Invocation(destination, "U7"), "dashboard now")
    assert isinstance(response.message, Notice) and "takes no arguments" in response.message.text
