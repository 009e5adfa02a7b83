"""The channel participation CSV on the dashboard: admins of the workspace download it, with their
admin right re-checked on the request; members, stale admins and other workspaces' ids get the
same refusals as the admin pages, and nothing of the channel's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.adapters.web.conftest import Client, Site
from tests.adapters.web.scenario import ADMIN, ELSEWHERE, HOME, MEMBER

CSV_PATH = "/channels/{}/participation.csv"
HEADER = "date,posted_at_utc,question_id"


async def download(client: Client, channel_id: str) -> tuple[int, str, str, str]:
    """GET the channel's CSV: status, content type, Content-Disposition and body."""
    async with client.http.get(client.site.url + CSV_PATH.format(channel_id)) as response:
        disposition = response.headers.get("Content-Disposition", "")
        return response.status, response.content_type, disposition, await response.text()


async def test_an_admin_downloads_one_row_per_daily_question(site: Site, client: Client) -> None:
    """C1's fifteen questions, oldest first, each with how many people took part."""
    await client.sign_in(site.link(ADMIN, admin=True))
    status, content_type, disposition, text = await download(client, HOME.channel_id)
    assert status == 200 and content_type == "text/csv"
    assert disposition == 'attachment; filename="participation-fake-C1.csv"'
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 15 and rows == sorted(rows, key=lambda r: r["date"])
    assert [r["people_took_part"] for r in rows[:2]] == ["3", "4"]
    assert all(r["title"] and r["question_id"] for r in rows)


async def test_the_csv_names_nobody(site: Site, client: Client) -> None:
    """Counts only: no user id of the workspace's people appears in the file."""
    await client.sign_in(site.link(ADMIN, admin=True))
    text = (await download(client, HOME.channel_id))[3]
    assert MEMBER not in text and ADMIN not in text


async def test_a_member_is_refused(site: Site, client: Client) -> None:
    """A member of the channel gets the admin pages' 403, not the file."""
    await client.sign_in(site.link(MEMBER))
    status, _, disposition, text = await download(client, HOME.channel_id)
    assert status == 403 and not disposition and HEADER not in text


async def test_an_admin_right_older_than_an_hour_is_refused(site: Site, client: Client) -> None:
    """The re-check covers the download: after the hour it asks for a fresh link."""
    await client.sign_in(site.link(ADMIN, admin=True))
    site.clock.advance(timedelta(hours=1, seconds=1))
    status, _, _, text = await download(client, HOME.channel_id)
    assert status == 403 and "Confirm your admin rights" in text and HEADER not in text


@pytest.mark.parametrize("channel_id", [ELSEWHERE.channel_id, "C404", "C1%22%3B"])
async def test_another_workspaces_channel_is_the_same_404_as_none(
    site: Site, client: Client, channel_id: str
) -> None:
    """T2's C9 exists and has posts; for T1's admin it is the 404 of an id that does not exist."""
    await client.sign_in(site.link(ADMIN, admin=True))
    status, _, disposition, text = await download(client, channel_id)
    assert status == 404 and not disposition and HEADER not in text
    assert "There is no channel here that you can see." in text


async def test_signed_out_gets_the_sign_in_page(site: Site, client: Client) -> None:
    """No session: 401 and how to sign in."""
    status, _, _, text = await download(client, HOME.channel_id)
    assert status == 401 and HEADER not in text


async def test_the_channel_page_links_the_download_for_admins_only(site: Site, client: Client) -> None:
    """Admins see the link on the channel page; members do not."""
    await client.sign_in(site.link(ADMIN, admin=True))
    assert CSV_PATH.format("C1") in (await client.get("/channels/C1"))[1]
    await client.sign_in(site.link(MEMBER))
    assert CSV_PATH.format("C1") not in (await client.get("/channels/C1"))[1]
