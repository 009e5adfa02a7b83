"""The suggestions queue (admins): read, edit, accept as a draft file exactly as `mlq content accept`
writes it, or reject with a reason the suggester sees on their You page.

A suggestion belongs to the workspace of the channel it was made in; an id from another workspace
is the same 404 as an id that does not exist. Admin rights are re-checked on every request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from adapters.web.context import Refused, Viewer, context_of, require_admin
from adapters.web.render import page, redirect
from bot.content.loader import parse_question_file
from bot.content.suggestions import SuggestionError, accept_draft
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic
from bot.practice.flows import ANSWER_LIMIT, QUESTION_LIMIT
from bot.records import Suggestion
from bot.text import clean, shown

log = logging.getLogger(__name__)

FILTERS = ("new", "accepted", "rejected", "all")
REASON_LIMIT = 500
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits only: str.isdigit() would take "１" for 1
DONE = {
    "saved": "Changes saved.",
    "accepted": "Accepted: the draft file is written.",
    "rejected": "Rejected: the person who suggested it sees your reason on their dashboard.",
}


async def queue(request: web.Request) -> web.StreamResponse:
    """GET /suggestions[?status=new|accepted|rejected|all]: the workspace's suggestions."""
    viewer = require_admin(request)
    status = request.query.get("status", "new")
    status = status if status in FILTERS else "new"
    home = viewer.destination
    found = await context_of(request).service.store.workspace_suggestions(
        home.platform, home.workspace_id, None if status == "all" else status
    )
    return page(request, "suggestions.html", suggestions=found, current=status, filters=FILTERS)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /suggestions/<id>: one suggestion, with the edit, accept and reject forms while it is new."""
    viewer = require_admin(request)
    suggestion = await _suggestion(request, viewer)
    return _page(request, suggestion, notice=DONE.get(request.query.get("done", "")))


async def save(request: web.Request) -> web.StreamResponse:
    """POST /suggestions/<id>/save: replace the question, answer, topic and difficulty."""
    viewer = require_admin(request)
    suggestion = await _suggestion(request, viewer)
    fields, problems = _fields(await request.post(), need_topic=False)
    if problems:
        return _page(
            request, suggestion, error="Not saved: " + "; ".join(problems) + ".", form=fields, status=400
        )
    await _update(request, suggestion, fields)
    return redirect(f"/suggestions/{suggestion.id}?done=saved")


async def accept(request: web.Request) -> web.StreamResponse:
    """POST /suggestions/<id>/accept: save the form, then write the draft as `mlq content accept` does."""
    viewer = require_admin(request)
    context = context_of(request)
    store = context.service.store
    suggestion = await _suggestion(request, viewer)
    fields, problems = _fields(await request.post(), need_topic=True)
    if problems:
        return _page(
            request, suggestion, error="Not accepted: " + "; ".join(problems) + ".", form=fields, status=400
        )
    await _update(request, suggestion, fields)
    if not await store.begin_accept(suggestion.id):
        raise _ALREADY
    edited = await store.get_suggestion(suggestion.id)
    config = context.config
    try:
        if edited is None:
            raise SuggestionError("the suggestion was deleted")
        path, _ = await asyncio.to_thread(
            accept_draft, edited, fields["topic"], fields["difficulty"], config.drafts_dir, config.bank_dir
        )
    except (SuggestionError, OSError) as exc:
        await store.release_accept(suggestion.id)
        log.warning("dashboard: suggestion #%d not accepted: %s", suggestion.id, exc)
        return _page(request, suggestion, error=f"Not accepted: {exc}.", form=fields, status=500)
    await store.finish_accept(suggestion.id, str(path), viewer.user_key, context.service.clock.now())
    log.info("dashboard: suggestion #%d accepted as %s by %s", suggestion.id, path, viewer.user_key)
    return redirect(f"/suggestions/{suggestion.id}?done=accepted")


async def reject(request: web.Request) -> web.StreamResponse:
    """POST /suggestions/<id>/reject: reject with a reason (1 to 500 characters) the suggester sees."""
    viewer = require_admin(request)
    context = context_of(request)
    suggestion = await _suggestion(request, viewer)
    raw = (await request.post()).get("reason")
    reason = clean(raw).strip() if isinstance(raw, str) else ""
    if not reason or len(reason) > REASON_LIMIT:
        problem = (
            "give a reason"
            if not reason
            else f"the reason has {len(reason)} characters (at most {REASON_LIMIT})"
        )
        return _page(request, suggestion, error=f"Not rejected: {problem}.", reason=reason, status=400)
    now = context.service.clock.now()
    if not await context.service.store.reject_suggestion(suggestion.id, reason, viewer.user_key, now):
        raise _ALREADY
    log.info("dashboard: suggestion #%d rejected by %s", suggestion.id, viewer.user_key)
    return redirect(f"/suggestions/{suggestion.id}?done=rejected")


_ALREADY = Refused(
    409, "Already reviewed", "Someone accepted or rejected this suggestion first; nothing was changed."
)


async def _suggestion(request: web.Request, viewer: Viewer) -> Suggestion:
    """The suggestion the URL names, if it was made in the viewer's workspace; 404 otherwise."""
    raw = request.match_info["suggestion_id"]
    found = None
    if _ID.fullmatch(raw):
        found = await context_of(request).service.store.get_suggestion(int(raw))
    home = viewer.destination
    if found is None or not found.destination.startswith(f"{home.platform}:{home.workspace_id or '-'}:"):
        raise Refused(404, "Not found", "There is no suggestion here.")
    return found


def _fields(form: Mapping[str, object], need_topic: bool) -> tuple[dict[str, str | None], list[str]]:
    def text(name: str) -> str:
        value = form.get(name)
        return clean(value).strip() if isinstance(value, str) else ""

    question, answer, topic, difficulty = text("question"), text("answer"), text("topic"), text("difficulty")
    problems = []
    if not question:
        problems.append("the question is empty")
    elif len(question) > QUESTION_LIMIT:
        problems.append(f"the question has {len(question)} characters (at most {QUESTION_LIMIT})")
    if not answer:
        problems.append("the answer is empty")
    elif len(answer) > ANSWER_LIMIT:
        problems.append(f"the answer has {len(answer)} characters (at most {ANSWER_LIMIT})")
    slug = resolve_topic(topic) if topic else None
    if topic and slug is None:
        problems.append(f"unknown topic {shown(topic)!r}")
    elif need_topic and slug is None:
        problems.append("choose a topic (the draft goes in that topic's folder)")
    level = resolve_difficulty(difficulty) if difficulty else None
    if difficulty and level is None:
        problems.append(f"unknown difficulty {shown(difficulty)!r}")
    fields: dict[str, str | None] = {
        "question": question,
        "answer": answer,
        "topic": slug or topic or None,
        "difficulty": level.value if level else (difficulty or None),
    }
    return fields, problems


async def _update(request: web.Request, suggestion: Suggestion, fields: dict[str, str | None]) -> None:
    updated = await context_of(request).service.store.update_suggestion(
        suggestion.id, fields["question"] or "", fields["answer"] or "", fields["topic"], fields["difficulty"]
    )
    if not updated:
        raise _ALREADY


def _page(
    request: web.Request,
    suggestion: Suggestion,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str | None] | None = None,
    reason: str = "",
    status: int = 200,
) -> web.Response:
    values = form or {
        "question": suggestion.question,
        "answer": suggestion.answer,
        "topic": suggestion.topic,
        "difficulty": suggestion.difficulty,
    }
    return page(
        request,
        "suggestion.html",
        status=status,
        suggestion=suggestion,
        form=values,
        reason=reason,
        notice=notice,
        error=error,
        topics=[(t.slug, t.label) for t in TOPICS],
        difficulties=[d.value for d in Difficulty],
        lint=_lint(suggestion),
        limits={"question": QUESTION_LIMIT, "answer": ANSWER_LIMIT, "reason": REASON_LIMIT},
    )


def _lint(suggestion: Suggestion) -> list[str]:
    """What `mlq content lint` still asks of an accepted draft (while its file is there)."""
    if suggestion.accepted_path is None or not Path(suggestion.accepted_path).is_file():
        return []
    return [str(problem) for problem in parse_question_file(Path(suggestion.accepted_path))[1]]
