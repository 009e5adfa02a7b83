"""Test doubles for the seam: a chat adapter that records what the core asked it to show."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messages import AnswerCard, Notice, QuestionCard
from bot.seam import Delivery, Destination, DestinationUnavailable, ThreadRef


@dataclass
class RecordingAdapter:
    """Records every call in order; can be told to fail the next sends."""

    platform: str = "fake"
    sole_handler: bool = False
    calls: list[tuple[str, object]] = field(default_factory=list)
    unavailable: str | None = None
    failures_left: int = 0
    lose_replies: int = 0
    delivered: dict[str, ThreadRef] = field(default_factory=dict)
    lookups: int = 0
    _next_id: int = 0

    def limit_key(self, destination: Destination) -> str:
        return f"{self.platform}:{destination.workspace_id or '-'}"

    def _check(self, destination: Destination) -> None:
        if self.unavailable:
            raise DestinationUnavailable(destination, self.unavailable)
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("platform unreachable")

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        if delivery and delivery.retry and delivery.key in self.delivered:
            self.lookups += 1
            found = self.delivered[delivery.key]
            assert isinstance(found, ThreadRef)
            return found
        self._check(destination)
        self._next_id += 1
        self.calls.append(("question", card))
        thread = ThreadRef(destination, f"m{self._next_id}")
        self._accepted(delivery, thread)
        return thread

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        if delivery and delivery.retry and delivery.key in self.delivered:
            self.lookups += 1
            return
        self._check(thread.destination)
        self.calls.append(("answer", (thread, card)))
        self._accepted(delivery, thread)

    def _accepted(self, delivery: Delivery | None, thread: ThreadRef) -> None:
        """The platform has the message; optionally lose its answer, as a crash or timeout would."""
        if delivery is not None:
            self.delivered[delivery.key] = thread
        if self.lose_replies:
            self.lose_replies -= 1
            raise TimeoutError("the platform accepted the message but its reply was lost")

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        self.calls.append(("revealed", (thread, card)))

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        self._check(destination)
        self.calls.append(("notice", notice))

    async def start(self) -> None:
        self.calls.append(("start", None))

    async def stop(self) -> None:
        self.calls.append(("stop", None))

    async def connected(self) -> bool:
        return True

    def of(self, kind: str) -> list[object]:
        return [payload for name, payload in self.calls if name == kind]

    @property
    def questions(self) -> list[QuestionCard]:
        return [c for c in self.of("question") if isinstance(c, QuestionCard)]

    @property
    def answers(self) -> list[tuple[ThreadRef, AnswerCard]]:
        return self.of("answer")  # type: ignore[return-value]


# A question file that passes every check; tests break it one way at a time.
WORDS_100 = " ".join(["word"] * 100)

VALID_QUESTION = f"""---
id: sample-question
title: A sample question
topic: keras
difficulty: easy
type: concept
tags: [sample]
references:
  - title: Keras API
    url: https://keras.io/api/
author: writer-x
status: draft
---

## Question

Why would you call `model.summary()`?

## Short answer

To see each layer's output shape and parameter count.

## Answer

{WORDS_100}

## Key points

- one
- two
- three

## Common pitfalls

- calling it before the model is built

## Follow-ups

- What does "non-trainable params" count?
"""
