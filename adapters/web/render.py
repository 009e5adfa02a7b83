"""Pages from Jinja2 templates (autoescaped: everything people typed is shown as text)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from adapters.web.context import context_of, viewer_of


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("adapters.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = lambda value: f"{value * 100:.0f}%"
    env.filters["day"] = _day
    env.filters["when"] = _when
    return env


def _day(value: date) -> str:
    return value.strftime("%a %d %b %Y")


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def page(request: web.Request, template: str, status: int = 200, **values: object) -> web.Response:
    """Render a template with who is signed in (for the navigation and the forms' token)."""
    context = context_of(request)
    viewer = viewer_of(request)
    body = context.templates.get_template(template).render(
        viewer=viewer,
        csrf=viewer.session.csrf_token if viewer else "",
        path=request.path,
        **values,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser asks for the page with GET (a reload resends nothing)."""
    return web.Response(status=303, headers={"Location": location})
