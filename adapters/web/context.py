"""What every dashboard handler works with: the service, the settings it was given, the figures,
the templates; and who is asking (`Viewer`), with the errors a handler raises to refuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from jinja2 import Environment

from bot.practice.progress import Progress
from bot.records import WebSession
from bot.seam import Destination
from bot.service import PracticeService
from bot.signin import SignInLinks

SESSION_LIFETIME = timedelta(hours=12)
# Admin pages trust the platform's word (given when the sign-in link was made) for this long; after
# that a fresh `/mlquestion dashboard` is needed: the dashboard has no platform client to ask.
ADMIN_RECHECK = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The dashboard's settings: where it listens, the address people open, where accepted drafts go."""

    host: str
    port: int
    base_url: str
    drafts_dir: Path
    bank_dir: Path
    admin_user_ids: frozenset[str] = frozenset()
    session_lifetime: timedelta = SESSION_LIFETIME
    admin_recheck: timedelta = ADMIN_RECHECK

    @property
    def secure(self) -> bool:
        """Served over https (behind a proxy): cookies get Secure and the __Host- prefix."""
        return self.base_url.startswith("https://")


@dataclass(slots=True)
class Context:
    service: PracticeService
    config: WebConfig
    templates: Environment
    progress: Progress = field(init=False)

    def __post_init__(self) -> None:
        self.progress = Progress(self.service.bank, self.service.store, self.service.clock)

    @property
    def links(self) -> SignInLinks | None:
        return self.service.signin


CONTEXT = web.AppKey("mlq.context", Context)


class Refused(Exception):
    """Stop a request with a page saying why: `status` (401, 403, 404, 409, 410…), a title and text."""

    def __init__(self, status: int, title: str, text: str) -> None:
        self.status = status
        self.title = title
        self.text = text
        super().__init__(f"{status} {title}")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person; `admin` is their admin right as re-checked for this request."""

    session: WebSession
    admin: bool
    admin_expired: bool  # the platform said admin, but longer ago than the re-check allows

    @property
    def destination(self) -> Destination:
        """The channel the sign-in link was asked for in (its platform and workspace scope everything)."""
        return self.session.destination

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def user_key(self) -> str:
        return self.session.user_key


def context_of(request: web.Request) -> Context:
    return request.app[CONTEXT]


_VIEWER: web.RequestKey[Viewer | None] = web.RequestKey("mlq.viewer")


def set_viewer(request: web.Request, viewer: Viewer | None) -> None:
    request[_VIEWER] = viewer


def viewer_of(request: web.Request) -> Viewer | None:
    return request.get(_VIEWER)


def require_viewer(request: web.Request) -> Viewer:
    """The signed-in person, or a 401 page saying how to sign in."""
    viewer = viewer_of(request)
    if viewer is None:
        raise Refused(
            401,
            "Sign in first",
            "Run /mlquestion dashboard in Slack, Discord or the console: it answers, only to you, "
            "with a link that signs you in.",
        )
    return viewer


def require_admin(request: web.Request) -> Viewer:
    """The signed-in person if their admin right holds for this request; a 403 page otherwise."""
    viewer = require_viewer(request)
    if viewer.admin:
        return viewer
    if viewer.admin_expired:
        minutes = int(context_of(request).config.admin_recheck.total_seconds() // 60)
        raise Refused(
            403,
            "Confirm your admin rights",
            f"Admin pages need your admin rights confirmed by the platform in the last {minutes} "
            "minutes. Run /mlquestion dashboard again and open the new link.",
        )
    raise Refused(403, "Admins only", "This page is for workspace or server admins.")
