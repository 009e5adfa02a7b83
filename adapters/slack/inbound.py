"""What Slack sends us, checked before anything acts on it: HTTP mode's front door, and Socket
Mode's guard.

HTTP mode: a request is read only up to MAX_BODY_BYTES (a larger one is refused from its headers,
unread), its signature is checked on the raw bytes with slack-sdk's SignatureVerifier, and only
then is the body parsed and its shape checked (`payloads`); Bolt gets the parsed body and nothing
else. Every refusal is one WARNING line naming the status and the reason, never the body
(`RefusalLog`, which also keeps a flood from flooding the log). Socket Mode's envelopes arrive
authenticated and parsed; the same shape check runs on them as a Bolt middleware, which
acknowledges and drops a bad one.

With OAuth on (many workspaces), the front door also serves the install flow's two browser pages,
"Add to Slack" and Slack's redirect back; they carry no signature (a browser sends them), and Bolt's
OAuth flow checks the redirect's one-time state against its store and the browser's cookie.

`FrontDoor` holds its app, verifier and refusal log and no other state.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from adapters.slack.payloads import Malformed, parse_body, payload_problem

log = logging.getLogger(__name__)

# The largest request Slack sends us, with room to spare. Measured with Slack's escaping at its worst
# (every character a `\uXXXX` escape, then percent-encoded as `payload=`): a view_submission of the
# full suggestion form (two 3,000-character fields of emoji) is ~103 KB and a rating click on our
# longest message ~81 KB (~106 KB at Slack's own ~13k-character cap); typical ones are 9–13 KB.
# 256 KiB is 2.5× the worst of those. A message event fits up to Slack's 40,000-character limit in
# ASCII (~81 KB with its rich-text copy) or ~21,000 escaped non-ASCII characters; a longer reply is
# refused (413) and goes uncounted, which is all it would be used for.
MAX_BODY_BYTES = 256 * 1024
# A slow sender holds a connection and its buffer at most this long.
READ_SECONDS = 10.0
# Slack's signing scheme refuses a timestamp more than five minutes away from now.
MAX_CLOCK_SKEW = 5 * 60
# Lines per window before refusals are only counted (and the count reported on the next line).
REFUSAL_LINES = 20
REFUSAL_WINDOW = 60.0

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_ERRORS = {
    400: "malformed request",
    401: "invalid request",  # what Bolt answers
    408: "request timeout",
    413: "request body too large",
    415: "unsupported content encoding",
}


class Refused(Exception):
    """A request we answer with `status` without acting on it; `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RefusalLog:
    """One WARNING line per refused request, at most `lines` per `window` seconds; past that,
    refusals are counted and the count is reported on the next line written.

    `clock` is a monotonic clock in seconds (injected for tests).
    """

    def __init__(
        self,
        logger: logging.Logger = log,
        lines: int = REFUSAL_LINES,
        window: float = REFUSAL_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.lines = lines
        self.window = window
        self.clock = clock
        self._started = clock()
        self._written = 0
        self._unlogged = 0

    def refused(self, status: int, reason: str, source: str) -> None:
        now = self.clock()
        if now - self._started >= self.window:
            self._started, self._written = now, 0
        if self._written >= self.lines:
            self._unlogged += 1
            return
        self._written += 1
        note = f" ({self._unlogged} more refused since the last such line)" if self._unlogged else ""
        self._unlogged = 0
        self.logger.warning("refused a Slack request from %s: %d, %s%s", source, status, reason, note)


class FrontDoor:
    """HTTP mode's server: bounds, authenticates and checks each request, then hands it to Bolt."""

    def __init__(
        self,
        app: AsyncApp,
        signing_secret: str,
        path: str,
        max_body: int = MAX_BODY_BYTES,
        refusals: RefusalLog | None = None,
    ) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)
        self.path = path
        self.max_body = max_body
        self.refusals = refusals or RefusalLog()

    def web_app(self) -> web.Application:
        application = web.Application(client_max_size=self.max_body)
        application.router.add_post(self.path, self.handle, expect_handler=self._expect)
        flow = self.app.oauth_flow
        if flow is not None:
            application.router.add_get(flow.install_path, self.install)
            application.router.add_get(flow.redirect_uri_path, self.redirected)
        return application

    async def install(self, request: web.Request) -> web.StreamResponse:
        """ "Add to Slack": a page linking to Slack's consent screen, with a fresh state (also a cookie)."""
        flow = self.app.oauth_flow
        if flow is None:  # the route exists only with OAuth on
            raise web.HTTPNotFound
        return await to_aiohttp_response(await flow.handle_installation(_browser_request(request)))

    async def redirected(self, request: web.Request) -> web.StreamResponse:
        """Slack's redirect after consent: the state is checked, the code exchanged for the team's
        token and the installation saved; the browser gets a page saying how it went."""
        flow = self.app.oauth_flow
        if flow is None:
            raise web.HTTPNotFound
        response = await flow.handle_callback(_browser_request(request))
        if response.status >= 400:
            # Why it failed is on the page; the log says only that it did (the query holds the code).
            log.warning("refused a Slack install redirect from %s: %d", request.remote, response.status)
        return await to_aiohttp_response(response)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check_headers(request)
            async with asyncio.timeout(READ_SECONDS):
                raw = await self._read(request)
            text = self._verified(raw, request)
            body = parse_body(text, request.content_type)
            if (problem := payload_problem(body)) is not None:
                raise Malformed(problem)
        except Malformed as malformed:
            return self._refuse(request, Refused(400, str(malformed)))
        except Refused as refusal:
            return self._refuse(request, refusal)
        except TimeoutError:
            return self._refuse(request, Refused(408, f"body not received within {READ_SECONDS:.0f} s"))
        # Bolt takes an already parsed, already authenticated body the way its Socket Mode handler
        # hands one over; it never re-parses (or re-verifies) the bytes checked above.
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=dict(request.headers),
            mode="socket_mode",
        )
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        """`Expect: 100-continue`: refuse from the headers before the body is even sent."""
        try:
            self._check_headers(request)
        except Refused as refusal:
            return self._refuse(request, refusal)
        expect = request.headers.get(hdrs.EXPECT, "")
        if request.version != HttpVersion11 or expect.lower() != "100-continue":
            raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect[:40]}")
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
        return None

    def _check_headers(self, request: web.Request) -> None:
        """Refuse what the headers alone condemn, so its body is never read."""
        length = request.content_length
        if length is not None and length > self.max_body:
            raise Refused(413, f"{length:,} bytes declared, over the {self.max_body:,}-byte limit")
        if request.headers.get(hdrs.CONTENT_ENCODING, "identity").lower() != "identity":
            raise Refused(415, "compressed body (Slack never compresses)")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(401, "X-Slack-Request-Timestamp missing or not a number")
        if abs(self.verifier.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW:
            raise Refused(401, "X-Slack-Request-Timestamp more than 5 minutes from now")
        if not _SIGNATURE.fullmatch(signature):
            raise Refused(401, "X-Slack-Signature missing or not a v0 signature")

    async def _read(self, request: web.Request) -> bytes:
        """The body, read chunk by chunk and given up as soon as it passes the limit."""
        body = bytearray()
        while chunk := await request.content.readany():
            body += chunk
            if len(body) > self.max_body:
                raise Refused(413, f"body over the {self.max_body:,}-byte limit")
        return bytes(body)

    def _verified(self, raw: bytes, request: web.Request) -> str:
        """The body as text, if its signature verifies."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "body is not UTF-8") from None
        timestamp = request.headers["X-Slack-Request-Timestamp"]
        if not self.verifier.is_valid(text, timestamp, request.headers["X-Slack-Signature"]):
            raise Refused(401, f"signature does not match the body ({len(raw):,} bytes)")
        return text

    def _refuse(self, request: web.Request, refusal: Refused) -> web.Response:
        self.refusals.refused(refusal.status, refusal.reason, request.remote or "an unknown address")
        return web.json_response({"error": _ERRORS[refusal.status]}, status=refusal.status)


def _browser_request(request: web.Request) -> AsyncBoltRequest:
    """A browser's GET as Bolt's OAuth flow reads it: the query string and the headers (the cookie)."""
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))


def well_formed_middleware(
    refusals: RefusalLog,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """A Bolt middleware for Socket Mode, where envelopes reach Bolt without passing the front door:
    a payload `payload_problem` finds unfit is acknowledged (so Slack doesn't send it again) and
    dropped, with one WARNING line."""

    async def well_formed(body: dict[str, Any], next_: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        problem = payload_problem(body) if isinstance(body, dict) else "not a JSON object"
        if problem is None:
            await next_()
            return None
        refusals.refused(400, problem, "Socket Mode")
        return BoltResponse(status=200, body="")

    return well_formed
