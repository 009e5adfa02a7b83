"""The console adapter: a terminal is one channel. Needs no account; the embedded default.

Lines starting with `/mlquestion` are commands, `/answer` shows the last on-demand answer,
`/quit` exits, and any other line is a reply in the current daily question's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable
from typing import TextIO
from zoneinfo import ZoneInfo

from adapters.console_render import render, render_answer, render_notice, render_question
from bot.messages import AnswerCard, Notice, QuestionCard
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import Invocation, PracticeService

CHANNEL = Destination("console", "terminal")


class ConsoleAdapter:
    """Reads commands from `stdin` and writes the channel to `stdout` (both injectable).

    Keeps in memory only what a terminal shows: the current thread and the last on-demand question.
    """

    platform = "console"

    def __init__(
        self,
        service: PracticeService,
        stdin: TextIO,
        stdout: TextIO,
        zone: ZoneInfo,
        on_quit: Callable[[], None] = lambda: None,
        user_id: str = "you",
    ) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.zone = zone
        self.on_quit = on_quit
        self.user_id = user_id
        self.current_thread: ThreadRef | None = None
        self.last_question_id: str | None = None
        self.revealed = asyncio.Event()
        self.input_closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()

    # ChatAdapter -------------------------------------------------------------------------------

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        # Random ids, so threads from an earlier run of the same database never collide.
        thread = ThreadRef(destination, f"console-{uuid.uuid4().hex[:6]}")
        self._print(render_question(card, self.zone, f"thread {self._label(thread)}"))
        self.current_thread = thread
        return thread

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        self._print(
            f"  ↳ in thread {self._label(thread)}, the answer is out:\n" + render_answer(card, "    ")
        )
        self.revealed.set()

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        self._print(f"  (question in thread {self._label(thread)} marked as answered)")

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        prefix = f"  ↳ thread {self._label(thread)}: " if thread else ""
        self._print(prefix + render_notice(notice))

    async def start(self) -> None:
        latest = await self._latest_thread()
        if latest is not None:
            self.current_thread = latest
        self._print("mlquestion console — type /mlquestion help, /quit to leave.")

    async def listen(self) -> None:
        """Start reading typed lines (after start-up output, so nothing interleaves)."""
        loop = asyncio.get_running_loop()
        # A daemon thread, so a blocked read never holds up exit on Ctrl-C.
        threading.Thread(target=self._read_lines, args=(loop,), daemon=True).start()
        self._reader = asyncio.create_task(self._dispatch())

    async def connected(self) -> bool:
        return True  # a terminal has nothing to lose a connection to

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    # Input ----------------------------------------------------------------------------------------

    def _read_lines(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(ValueError, OSError):  # the stream was closed under us
            for line in iter(self.stdin.readline, ""):
                loop.call_soon_threadsafe(self._lines.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop is already closed: we are exiting
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

    async def _dispatch(self) -> None:
        while True:
            line = await self._lines.get()
            if line is None:
                self.input_closed.set()
                return
            await self.handle_line(line.rstrip("\n"))

    async def handle_line(self, line: str) -> None:
        """Act on one typed line (public so tests can drive the adapter without a thread)."""
        text = line.strip()
        if not text:
            return
        if text in ("/quit", "/exit"):
            self.on_quit()
            return
        if text == "/answer":
            self._show_last_answer()
            return
        if text.startswith("/mlquestion"):
            invocation = Invocation(CHANNEL, self.user_id, is_admin=True)
            for response in await self.service.handle_command(invocation, text):
                if isinstance(response.message, QuestionCard):
                    self.last_question_id = response.message.question_id
                self._print(render(response.message, self.zone))
            return
        if text.startswith("/"):
            self._print(
                render_notice(
                    Notice(f"unknown command {text.split()[0]!r}: try /mlquestion help, /answer or /quit")
                )
            )
            return
        if self.current_thread is None:
            self._print("(no question posted yet — try /mlquestion for one on demand)")
            return
        self._print(f"  ↳ {self.user_id} in thread {self._label(self.current_thread)}: {text}")

    def _show_last_answer(self) -> None:
        answer = self.service.answer(self.last_question_id) if self.last_question_id else None
        if answer is None:
            self._print("(ask for a question first: /mlquestion)")
        else:
            self._print(render_answer(answer))

    async def _latest_thread(self) -> ThreadRef | None:
        subscription = await self.service.store.get_subscription(CHANNEL)
        if subscription is None:
            return None
        post = await self.service.store.latest_post(subscription.id)
        return post.thread if post else None

    def _label(self, thread: ThreadRef | None) -> str:
        return thread.message_id.removeprefix("console-") if thread else "?"

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
