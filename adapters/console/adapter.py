"""The console adapter: a terminal is one channel. Needs no account; the embedded default.

Lines starting with `/mlquestion` are commands, `/answer` shows the last on-demand answer,
`/check` writes an answer to the last question shown and gets feedback on it (a mock interview's
"Answer"), `/rate nailed|partly|missed` rates the last answer shown (`/rate` alone takes the rating
feedback suggested), `/mlquestion export` writes your data's files to a folder (MLQ_EXPORT_DIR, or
the working directory) and `/mlquestion forget-me` waits for `forget me` typed to confirm, `/quit`
(or the end of input, Ctrl-D)
exits, and any other line is a reply in the current daily question's thread (counted as taking
part; the text is only echoed). Output is wrapped to the terminal's width.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from adapters.console.render import (
    render,
    render_answer,
    render_notice,
    render_question,
    terminal_width,
)
from adapters.console.yourdata import confirms_forget, save_export
from bot.messages import (
    AnswerCard,
    AnswerForm,
    CardKind,
    CheckPrompt,
    DataExport,
    FeedbackCard,
    ForgetConfirm,
    Message,
    MockSummary,
    Notice,
    NoticeKind,
    QuestionCard,
    RatingPrompt,
    SuggestForm,
)
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import Invocation, PracticeService
from bot.text import clean

CHANNEL = Destination("console", "terminal")
# Return to the start of the prompt's line and clear it, to print over the prompt (drawn again after).
_ERASE_LINE = "\r\x1b[K"


class ConsoleAdapter:
    """Reads commands from `stdin` and writes the channel to `stdout` (both injectable).

    Keeps in memory only what a terminal shows: the current thread and the last on-demand question.
    `on_end_of_input` runs when the input ends (Ctrl-D); by default it is `on_quit`. A non-empty
    `prompt` is shown whenever a line can be typed. Exports are written to `export_dir` (None: the
    working directory at the time).
    """

    platform = "console"
    sole_handler = True

    def __init__(
        self,
        service: PracticeService,
        stdin: TextIO,
        stdout: TextIO,
        zone: ZoneInfo,
        on_quit: Callable[[], None] = lambda: None,
        user_id: str = "you",
        *,
        on_end_of_input: Callable[[], None] | None = None,
        prompt: str = "",
        width: Callable[[], int] = terminal_width,
        export_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.zone = zone
        self.on_quit = on_quit
        self.on_end_of_input = on_end_of_input or on_quit
        self.prompt = prompt
        self.width = width
        self.user_id = user_id
        self.export_dir = export_dir
        # A `forget-me` waiting for its typed confirmation (the next line decides).
        self._forget_pending = False
        self._prompt_shown = False
        self._listening = False
        self.current_thread: ThreadRef | None = None
        self.last_question_id: str | None = None
        self.last_was_review = False
        # The rating buttons of the last answer shown: `/rate` applies to them.
        self.last_rating: RatingPrompt | None = None
        # An open suggestion form: the lines typed so far (question, then answer), and its filters.
        self._form: list[str] | None = None
        self._form_filters: tuple[str | None, str | None] = (None, None)
        # The "Check my answer" of the last question shown, and an answer being typed for it.
        self.last_check: CheckPrompt | None = None
        self._answer: tuple[AnswerForm, list[str]] | None = None
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
        self._print(render_question(card, self.zone, f"thread {self._label(thread)}", self.width()))
        self.current_thread = thread
        self.last_check = card.check or self.last_check
        return thread

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        self._print(
            f"  ↳ in thread {self._label(thread)}, the answer is out:\n"
            + render_answer(card, "    ", self.width())
        )
        self.last_rating = card.rating or self.last_rating
        self.revealed.set()

    def limit_key(self, destination: Destination) -> str:
        return self.platform  # one terminal: no platform limit to share out

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        self._print(f"  (question in thread {self._label(thread)} marked as answered)")

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        prefix = f"  ↳ thread {self._label(thread)}: " if thread else ""
        self._print(prefix + render_notice(notice, self.width()))

    async def start(self) -> None:
        latest = await self._latest_thread()
        if latest is not None:
            self.current_thread = latest
        self._print("mlquestion console — type /mlquestion help, /quit (or Ctrl-D) to leave.")

    async def listen(self) -> None:
        """Start reading typed lines (after start-up output, so nothing interleaves)."""
        loop = asyncio.get_running_loop()
        self._listening = True
        self._show_prompt()
        # A daemon thread, so a blocked read never holds up exit on Ctrl-C.
        threading.Thread(target=self._read_lines, args=(loop,), daemon=True).start()
        self._reader = asyncio.create_task(self._dispatch())

    async def connected(self) -> bool:
        return True  # a terminal has nothing to lose a connection to

    async def stop(self) -> None:
        self._listening = False
        if self._prompt_shown:
            self.stdout.write("\n")  # the goodbye starts on a line of its own
            self._prompt_shown = False
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    # Input ----------------------------------------------------------------------------------------

    def _read_lines(self, loop: asyncio.AbstractEventLoop) -> None:
        stdin: TextIO | None = self.stdin  # None when the process was started with its input closed
        with contextlib.suppress(ValueError, OSError):  # the stream was closed under us
            for line in iter(stdin.readline if stdin is not None else str, ""):
                loop.call_soon_threadsafe(self._lines.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop is already closed: we are exiting
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

    async def _dispatch(self) -> None:
        while True:
            line = await self._lines.get()
            if line is None and self._prompt_shown:
                self.stdout.write("\n")  # Ctrl-D leaves the cursor after the prompt
            # Enter moved the terminal to a new line: the prompt is no longer on screen.
            self._prompt_shown = False
            if line is None:
                self._listening = False
                self.input_closed.set()
                self.on_end_of_input()  # Ctrl-D leaves like /quit
                return
            await self.handle_line(line.rstrip("\n"))
            self._show_prompt()

    async def handle_line(self, line: str) -> None:
        """Act on one typed line (public so tests can drive the adapter without a thread)."""
        text = clean(line).strip()  # no control characters into the core, or echoed to the terminal
        if not text:
            return
        if text in ("/quit", "/exit"):
            self._listening = False
            self.on_quit()
            return
        if self._forget_pending:
            await self._confirm_forget(text)
            return
        if self._answer is not None:
            await self._fill_answer(self._answer, text)
            return
        if self._form is not None:
            await self._fill_form(self._form, text)
            return
        if text == "/check":
            await self._open_answer_form()
            return
        if text == "/answer":
            self._show_last_answer()
            return
        if text.startswith("/rate"):
            await self._rate(text.removeprefix("/rate").strip())
            return
        if text.startswith("/mlquestion"):
            invocation = Invocation(CHANNEL, self.user_id, is_admin=True)
            for response in await self.service.handle_command(invocation, text):
                message = response.message
                if isinstance(message, SuggestForm):
                    self._form = []
                if isinstance(message, DataExport):
                    await self._save_export(message)
                    continue
                self._forget_pending = isinstance(message, ForgetConfirm)
                self._show(message)
            return
        if text.startswith("/"):
            self._print(
                render_notice(
                    Notice(f"unknown command {text.split()[0]!r}: try /mlquestion help, /answer or /quit"),
                    self.width(),
                )
            )
            return
        if self.current_thread is None:
            self._print("(no question posted yet — try /mlquestion for one on demand)")
            return
        thread = self.current_thread
        await self.service.record_reply(
            thread.destination, thread.thread_id or thread.message_id, self.user_id
        )
        self._print(f"  ↳ {self.user_id} in thread {self._label(thread)}: {text}")

    def _show_last_answer(self) -> None:
        question_id = self.last_question_id
        answer = self.service.answer(question_id, review=self.last_was_review) if question_id else None
        if answer is None:
            self._print("(ask for a question first: /mlquestion)")
        else:
            self.last_rating = answer.rating
            self._print(render_answer(answer, width=self.width()))

    def _show(self, message: Message) -> None:
        """Print a reply and remember what later commands act on (/answer, /check, /rate)."""
        if isinstance(message, QuestionCard):
            self.last_question_id = message.question_id
            self.last_was_review = message.kind is CardKind.REVIEW
            self.last_check = message.check
            if message.kind is CardKind.MOCK and message.check:
                # A mock question can be rated without an answer (e.g. /rate missed to skip it).
                self.last_rating = RatingPrompt(message.question_id, message.check.context)
        if isinstance(message, FeedbackCard):
            self.last_rating = message.rating
        if isinstance(message, MockSummary):
            self.last_check = self.last_rating = None
        self._print(render(message, self.zone, self.width()))

    async def _open_answer_form(self) -> None:
        if self.last_check is None:
            self._print(
                render_notice(Notice("Nothing to check yet: ask for a question first."), self.width())
            )
            return
        check = self.last_check
        response = await self.service.answer_form(
            Invocation(CHANNEL, self.user_id), check.question_id, check.context
        )
        if isinstance(response.message, AnswerForm):
            self._answer = (response.message, [])
        self._print(render(response.message, self.zone, self.width()))

    async def _fill_answer(self, answer: tuple[AnswerForm, list[str]], text: str) -> None:
        """Collect answer lines until a lone "." (submit) or /cancel; the text is only passed on."""
        form, lines = answer
        if text == "/cancel":
            self._answer = None
            self._print("(answer cancelled; nothing was checked)")
            return
        if text != ".":
            lines.append(text)
            return
        self._answer = None
        invocation = Invocation(CHANNEL, self.user_id)
        response = await self.service.check_answer(
            invocation, form.question_id, form.context, "\n".join(lines)
        )
        self._show(response.message)

    async def _rate(self, choice: str) -> None:
        if self.last_rating is None:
            self._print(
                render_notice(Notice("Nothing to rate yet: see an answer first (/answer)."), self.width())
            )
            return
        invocation = Invocation(CHANNEL, self.user_id)
        prompt = self.last_rating
        choice = choice or prompt.suggested or "?"
        response = await self.service.rate(invocation, prompt.question_id, prompt.context, choice)
        self._show(response.message)

    async def _fill_form(self, form: list[str], text: str) -> None:
        """Collect a suggestion: the question (optionally `[topic difficulty]` first), then the answer."""
        if text == "/cancel":
            self._form = None
            self._print("(suggestion cancelled)")
            return
        if not form:
            match = re.match(r"\[([^\]]*)\]\s*(.*)", text)
            words = match.group(1).split() if match else []
            self._form_filters = (words[0] if words else None, words[1] if len(words) > 1 else None)
            form.append(match.group(2) if match else text)
            self._print("Now the model answer, on one line (or /cancel).")
            return
        question, answer = form[0], text
        self._form = None
        topic, difficulty = self._form_filters
        invocation = Invocation(CHANNEL, self.user_id)
        response = await self.service.suggest(invocation, question, answer, topic, difficulty)
        self._print(render(response.message, self.zone, self.width()))
        if isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR:
            # Nothing typed is lost: show it back so it can be pasted again.
            self._print(f"  your question: {question}\n  your answer: {answer}")

    async def _save_export(self, export: DataExport) -> None:
        self._print(render_notice(await save_export(export, self.export_dir), self.width()))

    async def _confirm_forget(self, text: str) -> None:
        """Forget the console's user only when the confirmation word is typed exactly."""
        self._forget_pending = False
        if not confirms_forget(text):
            self._print(render_notice(Notice("Nothing was deleted."), self.width()))
            return
        response = await self.service.forget(Invocation(CHANNEL, self.user_id))
        self.last_rating = self.last_check = None
        self._print(render(response.message, self.zone, self.width()))

    async def _latest_thread(self) -> ThreadRef | None:
        subscription = await self.service.store.get_subscription(CHANNEL)
        if subscription is None:
            return None
        post = await self.service.store.latest_post(subscription.id)
        return post.thread if post else None

    def _label(self, thread: ThreadRef | None) -> str:
        return thread.message_id.removeprefix("console-") if thread else "?"

    def _print(self, text: str) -> None:
        # Output that arrives while the prompt waits (a post, a reveal) replaces the prompt's line;
        # the prompt is drawn again below it.
        self.stdout.write((_ERASE_LINE if self._prompt_shown else "") + text + "\n")
        self._prompt_shown = False
        self._show_prompt()
        self.stdout.flush()

    def _show_prompt(self) -> None:
        if self.prompt and self._listening and not self._prompt_shown:
            self.stdout.write(self.prompt)
            self._prompt_shown = True
            self.stdout.flush()
