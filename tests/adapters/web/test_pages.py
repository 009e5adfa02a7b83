"""The pages' content: the You page's streaks, calendar, charts and forecast; a channel's figures;
every chart an SVG drawn on the server with a table behind it; headers that keep pages private."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.adapters.web.conftest import Client, Site
from tests.adapters.web.scenario import ADMIN, MEMBER


@pytest.fixture
async def member(site: Site, client: Client) -> Client:
    await client.sign_in(site.link(MEMBER))
    return client


async def test_the_you_page_has_every_section(member: Client) -> None:
    """Streaks, the calendar, ratings over time, mastery by topic and by track, the forecast."""
    status, text = await member.get("/")
    assert status == 200
    for heading in (
        "Streaks",
        "Streak calendar",
        "Ratings over time",
        "By topic",
        "By role track",
        "Review forecast",
    ):
        assert heading in text, heading


async def test_the_streak_counts_the_channels_questions(member: Client) -> None:
    """U1 took part in 12 of C1's 15 questions (not the Wednesdays), two in a row to Friday's."""
    _, text = await member.get("/")
    assert "<strong>2</strong> in a row now, longest 4" in text
    assert "you took part in 12 of 15 daily questions" in text


async def test_the_calendar_marks_practice_with_a_symbol_not_only_a_colour(member: Client) -> None:
    """A practised day is ✓, a missed question ○, each with words for screen readers."""
    _, text = await member.get("/")
    calendar = text.split('class="calendar"')[1].split("</table>")[0]
    assert calendar.count("✓") >= 12 and "○" in calendar
    assert "Wed 04 Nov 2026: question not taken part in" in calendar


async def test_every_chart_is_server_side_svg_with_a_table_view(site: Site, client: Client) -> None:
    """Each figure holds an inline SVG and a <details> table with one row per bar or day."""
    for user, path, charts in ((MEMBER, "/", 4), (ADMIN, "/channels/C1", 3)):
        await client.sign_in(site.link(user, admin=user == ADMIN))
        _, text = await client.get(path)
        figures = text.split('<figure class="chart"')[1:]
        assert len(figures) == charts, path
        for figure in figures:
            assert "<svg" in figure and "<details>" in figure and "<table>" in figure


async def test_charts_load_nothing_from_elsewhere(member: Client) -> None:
    """No script in the SVG and no address outside the dashboard: pygal's tooltip script is off."""
    _, text = await member.get("/")
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/dashboard.js" defer>']
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)


async def test_the_forecast_counts_cards_due_per_day_for_thirty_days(site: Site, member: Client) -> None:
    """The forecast table has 30 days, today first (with what is overdue), each card counted once."""
    _, text = await member.get("/")
    table = text.split('id="forecast-chart-caption"')[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', table)
    assert len(rows) == 30 and rows[0][0] == "Mon 23 Nov"
    dues = await site.service.store.review_due_dates(f"fake:T1:{MEMBER}")
    horizon = site.clock.now() + timedelta(days=30)
    assert sum(int(count) for _, count in rows) == sum(1 for due in dues if due.date() < horizon.date())
    assert int(rows[0][1]) == sum(1 for due in dues if due.date() <= site.clock.now().date())


async def test_an_admin_sees_answer_rates_and_the_hardest_questions(site: Site, client: Client) -> None:
    """The channel page for an admin adds per-question answer rates and the hardest questions."""
    await client.sign_in(site.link(ADMIN, admin=True))
    status, text = await client.get("/channels/C1")
    assert status == 200 and "Answer rate per question" in text and "Hardest questions" in text


async def test_pages_are_private_and_framed_by_nobody(member: Client, site: Site) -> None:
    """Every page: a strict CSP, no framing, no Referer (a link's token stays put), no caching."""
    async with member.http.get(site.url + "/") as response:
        headers = response.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "kind"), [("/static/dashboard.css", "text/css"), ("/static/dashboard.js", "javascript")]
)
async def test_the_stylesheet_and_script_are_served_from_the_package(
    site: Site, client: Client, path: str, kind: str
) -> None:
    """The dashboard's own files are served without a session (they hold nothing private)."""
    async with client.http.get(site.url + path) as response:
        assert response.status == 200 and kind in response.headers["Content-Type"]


async def test_an_unknown_page_is_a_plain_404(member: Client) -> None:
    """A path the dashboard does not have: 404 with a page, not a traceback."""
    status, text = await member.get("/admin/../etc/passwd")
    assert status == 404 and "There is no page here" in text


async def test_a_form_over_the_size_limit_is_refused_with_a_page(member: Client) -> None:
    """More than 64 KiB of form: 413 with the dashboard's page (and its headers), nothing stored."""
    status, text = await member.post("/signout", {"padding": "x" * 70_000})
    assert status == 413 and "<!doctype html>" in text


async def test_a_wrong_method_is_refused_with_a_page(member: Client) -> None:
    """GET on a POST-only address: 405, from the dashboard, not a bare error."""
    status, text = await member.get("/signout")
    assert status == 405 and "<!doctype html>" in text
