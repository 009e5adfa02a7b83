"""The narrow seam between the core and a chat platform: typed references and the adapter protocol."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Protocol

from bot.messages import AnswerCard, Notice, QuestionCard


@dataclass(frozen=True, slots=True)
class Destination:
    """A channel on a platform. `workspace_id` is the Slack team or Discord guild, if any."""

    platform: str
    channel_id: str
    workspace_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace_id or '-'}:{self.channel_id}"


def reply_key(destination: Destination, root_id: str) -> str:
    """The key of a question's thread: its channel and the message or thread id replies hang off."""
    return f"{destination.platform}:{destination.channel_id}:{root_id}"


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """A posted question: its message, and the thread replies go to (may equal the message)."""

    destination: Destination
    message_id: str
    thread_id: str | None = None

    @property
    def reply_key(self) -> str:
        """Names the thread replies go to; adapters build the same key from a reply's event."""
        return reply_key(self.destination, self.thread_id or self.message_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ThreadRef:
        data = json.loads(text)
        return cls(Destination(**data["destination"]), data["message_id"], data.get("thread_id"))


@dataclass(frozen=True, slots=True)
class Delivery:
    """Names one send across attempts, so a send that reached the platform is not repeated.

    Adapters tag the message with `key` where the platform can keep it (Slack message metadata,
    Discord's nonce); on a `retry` (an earlier attempt may have died after the platform accepted
    it) they first look for a message with that key and return it instead of posting again.
    """

    key: str
    retry: bool = False


class DestinationUnavailable(Exception):
    """The platform says the channel can't be posted to (deleted, archived, bot removed...).

    The scheduler pauses that subscription and carries on with the others.
    """

    def __init__(self, destination: Destination, code: str) -> None:
        self.destination = destination
        self.code = code
        super().__init__(f"{destination.key} unavailable: {code}")


class PlatformSetupError(Exception):
    """A platform refused the configuration at start-up; the message names the variable, never a secret."""


class ChatAdapter(Protocol):
    """What the core needs from a platform. Adapters own all rendering."""

    platform: str
    # True when a user's commands always reach this one process (Discord: a guild's events go to
    # the one shard that owns it; the console: one terminal). Then an on-demand pick can be shown
    # before it is written: no other process draws for that user in the meantime.
    sole_handler: bool

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        """Post a question card publicly and return where its thread is."""
        ...

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        """Reply with the model answer in the question's thread."""
        ...

    def limit_key(self, destination: Destination) -> str:
        """Name the platform rate-limit budget sends to `destination` count against (Slack: the
        workspace). The core keeps sends of one key from holding up those of another."""
        ...

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        """Update the original question message to say the answer is out."""
        ...

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        """Post a short notice to a channel, or in a thread."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def connected(self) -> bool:
        """Return True while the adapter can reach its platform (for the health check)."""
        ...
