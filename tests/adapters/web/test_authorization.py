"""Who sees what: a person sees their own figures and their workspace's channels; admin pages
re-check admin rights on every request; ids of other people's things give the same 404 as ids that
do not exist, with nothing of theirs in it; every POST needs its session's form token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.adapters.web.conftest import Client, Site
from tests.adapters.web.scenario import ADMIN, ELSEWHERE, FRIEND, MEMBER, NEWCOMER, OTHER_WORKSPACE_TEXT, SHY

_CSRF = re.compile(r'name="csrf" value="[^"]*"')


def _without_tokens(text: str) -> str:
    return _CSRF.sub("", text)


async def _suggestion_status(site: Site, suggestion_id: int) -> str:
    found = await site.service.store.get_suggestion(suggestion_id)
    assert found is not None
    return found.status


@pytest.mark.parametrize("path", ["/suggestions", "/suggestions/{id}"])
async def test_a_member_is_refused_admin_pages(site: Site, client: Client, path: str) -> None:
    """Without the platform's admin word, the suggestions queue is 403."""
    await client.sign_in(site.link(MEMBER))
    status, text = await client.get(path.format(id=site.seeded.member_suggestion))
    assert status == 403 and "admins" in text
    assert "Why does Keras" not in text


@pytest.mark.parametrize("action", ["save", "accept", "reject"])
async def test_a_member_cannot_moderate(site: Site, client: Client, action: str) -> None:
    """A member's POST to a moderation action is 403 and changes nothing (form token or not)."""
    await client.sign_in(site.link(MEMBER))
    form = {"question": "q", "answer": "a", "topic": "keras", "reason": "no"}
    status, _ = await client.post(f"/suggestions/{site.seeded.friend_suggestion}/{action}", form)
    assert status == 403
    assert await _suggestion_status(site, site.seeded.friend_suggestion) == "new"


async def test_admin_pages_need_the_admin_right_confirmed_within_the_hour(site: Site, client: Client) -> None:
    """An hour after the link was made, admin pages ask for a fresh link; the rest still works."""
    await client.sign_in(site.link(ADMIN, admin=True))
    assert (await client.get("/suggestions"))[0] == 200
    site.clock.advance(timedelta(hours=1, seconds=1))
    status, text = await client.get("/suggestions")
    assert status == 403 and "Confirm your admin rights" in text
    assert (await client.get("/"))[0] == 200


async def test_a_stale_admin_cannot_reject(site: Site, client: Client) -> None:
    """The re-check covers actions too: a POST after the hour changes nothing."""
    await client.sign_in(site.link(ADMIN, admin=True))
    await client.get(f"/suggestions/{site.seeded.friend_suggestion}")
    site.clock.advance(timedelta(hours=2))
    status, _ = await client.post(f"/suggestions/{site.seeded.friend_suggestion}/reject", {"reason": "late"})
    assert status == 403
    assert await _suggestion_status(site, site.seeded.friend_suggestion) == "new"


async def test_a_user_listed_in_admin_user_ids_stays_admin(site: Site, client: Client) -> None:
    """MLQ_ADMIN_USER_IDS is read on every request: no hour limit for those users."""
    await site.restart(admin_user_ids=frozenset({MEMBER}))
    await client.sign_in(site.link(MEMBER))
    site.clock.advance(timedelta(hours=5))
    assert (await client.get("/suggestions"))[0] == 200


async def test_another_workspaces_suggestion_is_the_same_404_as_none(site: Site, client: Client) -> None:
    """An admin of T1 asking for T2's suggestion gets the page an unknown id gets, and not its text."""
    await client.sign_in(site.link(ADMIN, admin=True))
    status, other = await client.get(f"/suggestions/{site.seeded.elsewhere_suggestion}")
    missing_status, missing = await client.get("/suggestions/999999")
    assert status == missing_status == 404
    assert _without_tokens(other) == _without_tokens(missing)
    assert OTHER_WORKSPACE_TEXT not in other


@pytest.mark.parametrize("action", ["save", "accept", "reject"])
async def test_another_workspaces_suggestion_cannot_be_moderated(
    site: Site, client: Client, action: str
) -> None:
    """POSTs naming T2's suggestion from T1 are 404 and leave it new."""
    await client.sign_in(site.link(ADMIN, admin=True))
    form = {"question": "mine now", "answer": "a", "topic": "keras", "reason": "no"}
    status, text = await client.post(f"/suggestions/{site.seeded.elsewhere_suggestion}/{action}", form)
    assert status == 404 and OTHER_WORKSPACE_TEXT not in text
    assert await _suggestion_status(site, site.seeded.elsewhere_suggestion) == "new"


async def test_the_queue_lists_only_the_workspaces_suggestions(site: Site, client: Client) -> None:
    """T1's queue shows T1's suggestions and none of T2's."""
    await client.sign_in(site.link(ADMIN, admin=True))
    status, text = await client.get("/suggestions?status=all")
    assert status == 200 and "Why does Keras" in text and "early stopping" in text
    assert OTHER_WORKSPACE_TEXT not in text


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "99999999999", "1e3", "\uff11", "1.0"])
async def test_odd_suggestion_ids_are_not_found(site: Site, client: Client, raw: str) -> None:
    """Ids that are no row (0, out of range, not a number, a full-width "1") are a plain 404."""
    await client.sign_in(site.link(ADMIN, admin=True))
    assert (await client.get(f"/suggestions/{raw}"))[0] == 404


async def test_a_channel_of_another_workspace_is_not_found(site: Site, client: Client) -> None:
    """C9 belongs to T2: for anyone signed in to T1, admin or not, it is the same 404 as nothing."""
    for user, admin in ((ADMIN, True), (MEMBER, False)):
        await client.sign_in(site.link(user, admin=admin))
        status, text = await client.get(f"/channels/{ELSEWHERE.channel_id}")
        assert status == 404
        assert _without_tokens(text) == _without_tokens((await client.get("/channels/CNOPE"))[1])


@pytest.mark.parametrize(("user", "status"), [(FRIEND, 200), (NEWCOMER, 404)])
async def test_a_member_sees_a_channel_only_after_taking_part(
    site: Site, client: Client, user: str, status: int
) -> None:
    """C2: U2 replied there and may look; U3 never did, so for U3 it does not exist."""
    await client.sign_in(site.link(user))
    assert (await client.get("/channels/C2"))[0] == status


async def test_an_admin_sees_every_channel_of_the_workspace(site: Site, client: Client) -> None:
    """An admin's channel list has C1 and C2 of T1, never T2's C9."""
    await client.sign_in(site.link(ADMIN, admin=True))
    _, text = await client.get("/channels")
    assert "/channels/C1" in text and "/channels/C2" in text and "/channels/C9" not in text


async def test_a_member_sees_participation_but_no_admin_figures(site: Site, client: Client) -> None:
    """Members get participation and the leaderboard; answer rates and hardest questions are for admins."""
    await client.sign_in(site.link(MEMBER))
    status, text = await client.get("/channels/C1")
    assert status == 200 and "Participation per week" in text and "Leaderboard" in text
    assert "Answer rate per question" not in text and "Hardest questions" not in text


async def test_the_leaderboard_leaves_out_who_opted_out(site: Site, client: Client) -> None:
    """U4 replied to every question but opted out: not on the dashboard's leaderboard either."""
    await client.sign_in(site.link(ADMIN, admin=True))
    _, text = await client.get("/channels/C1")
    board = text.split('id="leaderboard"')[1].split("</section>")[0]
    assert FRIEND in board and SHY not in board


async def test_the_you_page_has_the_viewers_suggestions_only(
    site: Site, client: Client, other_client: Client
) -> None:
    """U1 sees U1's suggestion and not U2's; U2 the other way round. Nothing in the URL names them."""
    await client.sign_in(site.link(MEMBER))
    await other_client.sign_in(site.link(FRIEND))
    mine = (await client.get("/"))[1]
    theirs = (await other_client.get("/"))[1]
    assert "Why does Keras" in mine and "early stopping" not in mine
    assert "early stopping" in theirs and "Why does Keras" not in theirs


@pytest.mark.parametrize(
    "path",
    ["/signout", "/suggestions/{id}/save", "/suggestions/{id}/accept", "/suggestions/{id}/reject"],
)
async def test_a_post_without_the_form_token_is_refused(site: Site, client: Client, path: str) -> None:
    """Every POST needs the session's form token: without it 403, and nothing changes."""
    await client.sign_in(site.link(ADMIN, admin=True))
    form = {"question": "changed", "answer": "changed", "topic": "keras", "reason": "no"}
    status, text = await client.post(path.format(id=site.seeded.member_suggestion), form, with_csrf=False)
    assert status == 403 and "Form refused" in text
    assert await _suggestion_status(site, site.seeded.member_suggestion) == "new"
    assert (await client.get("/"))[0] == 200  # still signed in


async def test_another_sessions_form_token_is_refused(
    site: Site, client: Client, other_client: Client
) -> None:
    """The token belongs to its session: an admin's form cannot be posted with a member's token."""
    await client.sign_in(site.link(ADMIN, admin=True))
    await other_client.sign_in(site.link(MEMBER))
    await other_client.get("/")
    path = f"/suggestions/{site.seeded.friend_suggestion}/reject"
    status, _ = await client.post(path, {"reason": "no", "csrf": other_client.csrf}, with_csrf=False)
    assert status == 403
    assert await _suggestion_status(site, site.seeded.friend_suggestion) == "new"
