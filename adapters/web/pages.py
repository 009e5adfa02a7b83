"""The pages everyone signed in has: You (their own figures) and the channels of their workspace.

Who sees which channel: the one `/mlquestion dashboard` was run in, and those where the person
replied to or rated a daily question (they are in it); admins, every subscribed channel of their
workspace. Any other channel id in a URL, of this workspace or another, is the same 404.
"""

from __future__ import annotations

import re

from aiohttp import web

from adapters.web import charts
from adapters.web.context import Refused, Viewer, context_of, require_admin, require_viewer
from adapters.web.render import page
from bot.practice.progress import Mastery
from bot.practice.yourdata import participation_csv
from bot.seam import Destination

_CHANNEL_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def visible_channels(request: web.Request, viewer: Viewer) -> list[Destination]:
    """The channels this person may look at (see the module's docstring), home first."""
    context = context_of(request)
    home = viewer.destination
    workspace = await context.service.store.workspace_channels(home.platform, home.workspace_id)
    if not viewer.admin:
        workspace = await context.progress.channels_taken_part(workspace, viewer.user_key)
    return [home, *(channel for channel in workspace if channel != home)]


async def you(request: web.Request) -> web.StreamResponse:
    """GET /: the person's own figures, nobody else's (nothing in the URL names anyone)."""
    viewer = require_viewer(request)
    context = context_of(request)
    home = viewer.destination
    workspace = await context.service.store.workspace_channels(home.platform, home.workspace_id)
    channels = await context.progress.channels_taken_part(workspace, viewer.user_key)
    progress = await context.progress.person(home, viewer.user_id, channels)
    weeks = [progress.calendar[index : index + 7] for index in range(0, len(progress.calendar), 7)]
    return page(
        request,
        "you.html",
        progress=progress,
        weeks=weeks,
        weekdays=WEEKDAYS,
        ratings_chart=charts.ratings_over_time(progress.ratings_by_week),
        ratings_rows=[(f"{w.week:%d %b %Y}", w.nailed, w.partly, w.missed) for w in progress.ratings_by_week],
        topic_chart=charts.mastery(progress.by_topic, "topic") if progress.by_topic else None,
        topic_rows=_mastery_rows(progress.by_topic),
        track_chart=charts.mastery(progress.by_track, "track") if progress.by_track else None,
        track_rows=_mastery_rows(progress.by_track),
        forecast_chart=charts.forecast(progress.forecast),
        forecast_rows=[(f"{d.day:%a %d %b}", d.due) for d in progress.forecast],
    )


def _mastery_rows(rows: tuple[Mastery, ...]) -> list[tuple[object, ...]]:
    return [
        (m.label, m.nailed, m.partly, m.missed, f"{m.rated} of {m.questions}", f"{m.score * 100:.0f}%")
        for m in rows
    ]


async def channels(request: web.Request) -> web.StreamResponse:
    """GET /channels: the channels this person may look at."""
    viewer = require_viewer(request)
    return page(request, "channels.html", channels=await visible_channels(request, viewer))


async def _visible_channel(request: web.Request, viewer: Viewer) -> Destination:
    """The channel the URL names, if this person may see it; the same 404 for every other id."""
    channel_id = request.match_info["channel_id"]
    found = None
    if _CHANNEL_ID.fullmatch(channel_id):
        found = next((c for c in await visible_channels(request, viewer) if c.channel_id == channel_id), None)
    if found is None:
        raise Refused(404, "Not found", "There is no channel here that you can see.")
    return found


async def participation_download(request: web.Request) -> web.StreamResponse:
    """GET /channels/<id>/participation.csv: admins only (re-checked), channels of their workspace."""
    viewer = require_admin(request)
    found = await _visible_channel(request, viewer)
    service = context_of(request).service
    body = await participation_csv(service.bank, service.store, found)
    # The id passed _CHANNEL_ID, so it is safe inside the quoted file name.
    name = f"participation-{found.platform}-{found.channel_id}.csv"
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def channel(request: web.Request) -> web.StreamResponse:
    """GET /channels/<id>: participation and leaderboard; for admins, answer rates and hardest questions."""
    viewer = require_viewer(request)
    found = await _visible_channel(request, viewer)
    progress = await context_of(request).progress.channel(found)
    detailed = viewer.admin
    return page(
        request,
        "channel.html",
        channel=found,
        progress=progress,
        detailed=detailed,
        participation_chart=charts.participation(progress.weeks),
        participation_rows=[(f"{w.week:%d %b %Y}", w.questions, w.people, w.answers) for w in progress.weeks],
        rates_chart=charts.answer_rates(progress.answer_rates)
        if detailed and progress.answer_rates
        else None,
        rates_rows=[
            (f"{r.day:%a %d %b}", r.title, r.took_part, r.active, f"{r.rate * 100:.0f}%")
            for r in progress.answer_rates
        ],
        hardest_chart=charts.hardest(progress.hardest) if detailed and progress.hardest else None,
        hardest_rows=[
            (q.title, q.topic_label, q.nailed, q.partly, q.missed, f"{q.score * 100:.0f}%")
            for q in progress.hardest
        ],
    )
