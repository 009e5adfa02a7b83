"""Sign-in, sessions and form tokens.

- A sign-in link (`GET /signin/<token>`) only shows a button: link previewers and mail scanners
  that fetch it use nothing up. The button posts the token back with a one-off form token that is
  also in a cookie (so another site cannot sign someone into its own account); that POST records
  the link's use (once only), and opens a session.
- A session is a random token in a cookie (HttpOnly, SameSite=Lax, Secure with the __Host- prefix
  behind https, 12 hours); the store keeps its SHA-256, so a copy of the database opens no session.
- Every POST carries the session's form token in a hidden field, checked before any handler runs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.web.context import Refused, Viewer, context_of, require_viewer, set_viewer, viewer_of
from adapters.web.render import page, redirect
from bot.records import WebSession
from bot.signin import LINK_LIFETIME, LinkRefused, SignInClaim

log = logging.getLogger(__name__)

SIGNIN_COOKIE = "mlq_signin"
CSRF_FIELD = "csrf"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SECURITY_HEADERS = {
    # Styles inline: pygal's SVG carries its own <style>. No script but our own file.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a sign-in link's token never leaves in a Referer
}


def session_cookie(secure: bool) -> str:
    """The session cookie's name: with the __Host- prefix behind https (no Domain, Path=/, Secure)."""
    return "__Host-mlq_session" if secure else "mlq_session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the viewer, check every POST's form token, render refusals, add security headers."""
    try:
        if not request.path.startswith("/static/"):
            set_viewer(request, await _load_viewer(request))
            if request.method == "POST":
                await _check_form_token(request)
        response = await handler(request)
    except Refused as refused:
        response = page(
            request, "message.html", status=refused.status, title=refused.title, text=refused.text
        )
    except web.HTTPNotFound:
        response = page(request, "message.html", status=404, title="Not found", text="There is no page here.")
    except web.HTTPException as error:  # 405, 413 (a form over the size limit)…
        if error.status < 400:
            raise
        response = page(
            request, "message.html", status=error.status, title=error.reason, text=error.text or ""
        )
    response.headers.update(_SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _load_viewer(request: web.Request) -> Viewer | None:
    context = context_of(request)
    token = request.cookies.get(session_cookie(context.config.secure))
    if not token:
        return None
    now = context.service.clock.now()
    session = await context.service.store.web_session(token_hash(token), now)
    if session is None:
        return None
    config = context.config
    fresh = session.is_admin and now - session.admin_checked_at <= config.admin_recheck
    configured = session.user_id in config.admin_user_ids
    return Viewer(session, admin=fresh or configured, admin_expired=session.is_admin and not fresh)


async def _check_form_token(request: web.Request) -> None:
    form = await request.post()
    sent = form.get(CSRF_FIELD)
    if request.path == "/signin":
        expected = request.cookies.get(SIGNIN_COOKIE)
        what = "This sign-in form has expired or cookies are blocked"
    else:
        viewer = require_viewer(request)
        expected = viewer.session.csrf_token
        what = "The form's security token is missing or wrong"
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise Refused(403, "Form refused", f"{what}; nothing was changed. Reload the page and try again.")


def _claim(request: web.Request, token: str) -> SignInClaim:
    links = context_of(request).links
    if links is None:
        raise Refused(404, "Not found", "Sign-in links are not enabled here.")
    try:
        return links.verify(token)
    except LinkRefused as refused:
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        if refused.reason == "expired":
            raise Refused(
                410,
                "This link has expired",
                f"Sign-in links work for {minutes} minutes. Run /mlquestion dashboard again for a new one.",
            ) from None
        raise Refused(
            403, "This link is not valid", "Run /mlquestion dashboard for a sign-in link, and open it whole."
        ) from None


_USED = Refused(
    410,
    "This link was already used",
    "Each sign-in link works once. Run /mlquestion dashboard again for a new one; if you did not use "
    "this link yourself, sign out everywhere you are signed in.",
)


async def signin_page(request: web.Request) -> web.StreamResponse:
    """GET /signin/<token>: check the link (without using it up) and show the sign-in button."""
    token = request.match_info["token"]
    claim = _claim(request, token)
    if await context_of(request).service.store.signin_link_used(claim.nonce):
        raise _USED
    form_token = secrets.token_urlsafe(24)
    response = page(request, "signin.html", claim=claim, token=token, form_token=form_token)
    response.set_cookie(
        SIGNIN_COOKIE,
        form_token,
        max_age=int(LINK_LIFETIME.total_seconds()),
        path="/signin",
        httponly=True,
        samesite="Strict",
        secure=context_of(request).config.secure,
    )
    return response


async def signin(request: web.Request) -> web.StreamResponse:
    """POST /signin: use the link up (once) and open a session in place of any current one."""
    context = context_of(request)
    form = await request.post()
    token = form.get("token")
    claim = _claim(request, token if isinstance(token, str) else "")
    store, now = context.service.store, context.service.clock.now()
    if not await store.use_signin_link(claim.nonce, claim.user_key, now, now - 2 * LINK_LIFETIME):
        raise _USED
    current = viewer_of(request)
    if current is not None:
        await store.delete_web_session(current.session.token_hash)
    session_token = secrets.token_urlsafe(32)
    session = WebSession(
        token_hash=token_hash(session_token),
        destination=claim.destination,
        user_id=claim.user_id,
        user_key=claim.user_key,
        is_admin=claim.is_admin,
        admin_checked_at=claim.issued_at,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + context.config.session_lifetime,
    )
    await store.add_web_session(session)
    log.info("dashboard: signed in user=%s admin=%s", claim.user_key, claim.is_admin)
    response = redirect("/")
    secure = context.config.secure
    response.set_cookie(
        session_cookie(secure),
        session_token,
        max_age=int(context.config.session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
    response.del_cookie(SIGNIN_COOKIE, path="/signin", secure=secure, httponly=True, samesite="Strict")
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    """POST /signout: delete the session from the store and the cookie from the browser."""
    context = context_of(request)
    viewer = require_viewer(request)
    await context.service.store.delete_web_session(viewer.session.token_hash)
    log.info("dashboard: signed out user=%s", viewer.user_key)
    set_viewer(request, None)
    response = page(
        request,
        "message.html",
        title="Signed out",
        text="You are signed out. Run /mlquestion dashboard for a new link when you want to come back.",
    )
    secure = context.config.secure
    response.del_cookie(session_cookie(secure), path="/", secure=secure, httponly=True, samesite="Lax")
    return response
