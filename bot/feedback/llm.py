"""Answer feedback from a language model the team runs, through any OpenAI-compatible endpoint.

What is sent: the question, its model answer's key points and the rubric's known misconceptions, and
the person's answer — nothing else (no names, ids or channel). Only when MLQ_LLM_BASE_URL and
MLQ_LLM_MODEL are set. The reply must follow a JSON schema; anything else (a time-out, an HTTP error,
a reply that is not the schema) falls back to the offline engine, and the feedback says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import openai

from bot.content.questions import Question
from bot.feedback.model import Feedback, FeedbackError, MisconceptionHit, PointResult
from bot.feedback.offline import assess as assess_offline
from bot.feedback.offline import suggest

log = logging.getLogger(__name__)

SYSTEM = (
    "You grade a candidate's spoken-style answer to a machine-learning interview question against a "
    "rubric. For each numbered key point say whether the answer covers it (in any words), quoting the "
    "answer's words that cover it. List statements in the answer that are wrong, each with a one-line "
    "correction. Write a two-sentence critique and one follow-up question an interviewer would ask "
    "next, aimed at what the answer left weak. Reply with JSON only."
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["points", "misconceptions", "critique", "follow_up"],
    "properties": {
        "points": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["index", "covered", "quote"],
                "properties": {
                    "index": {"type": "integer"},
                    "covered": {"type": "boolean"},
                    "quote": {"type": "string"},
                },
            },
        },
        "misconceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["quote", "correction"],
                "properties": {"quote": {"type": "string"}, "correction": {"type": "string"}},
            },
        },
        "critique": {"type": "string"},
        "follow_up": {"type": "string"},
    },
}


@dataclass(frozen=True, slots=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str | None
    timeout_seconds: float


class LlmEngine:
    """Feedback from the configured model; the offline engine whenever the model cannot answer."""

    def __init__(self, config: LlmConfig, client: openai.AsyncOpenAI | None = None) -> None:
        self.config = config
        # No retries: a person is waiting, and the offline engine answers at once.
        self.client = client or openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "not-needed",
            timeout=config.timeout_seconds,
            max_retries=0,
        )

    async def assess(self, question: Question, answer: str) -> Feedback:
        offline = assess_offline(question, answer)  # validates the answer and the rubric first
        try:
            reply = await self.client.chat.completions.create(
                model=self.config.model,
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt(question, answer)},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "answer_feedback", "schema": SCHEMA, "strict": True},
                },
                temperature=0,
            )
            content = reply.choices[0].message.content or ""
            return parse_reply(question, answer, content)
        except openai.APITimeoutError:
            reason = f"the language model did not answer within {self.config.timeout_seconds:g} s"
        except openai.APIStatusError as exc:
            reason = f"the language model's endpoint answered HTTP {exc.status_code}"
        except openai.APIConnectionError:
            reason = "the language model's endpoint could not be reached"
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            reason = f"the language model's reply was not the expected JSON ({type(exc).__name__})"
        log.warning("answer feedback fell back to the offline engine: %s", reason)
        return replace(offline, note=f"Offline feedback: {reason}.")


def prompt(question: Question, answer: str) -> str:
    rubric = question.rubric
    if rubric is None:  # assess_offline refused already
        raise FeedbackError(f"question {question.id!r} has no rubric")
    points = "\n".join(f"{i}. {kp.point}" for i, kp in enumerate(rubric.key_points, start=1))
    wrongs = "\n".join(f"- {m.wrong} (correct: {m.correction})" for m in rubric.misconceptions)
    return (
        f"Question:\n{question.text}\n\nKey points of a strong answer:\n{points}\n\n"
        f"Known misconceptions:\n{wrongs}\n\nCandidate's answer:\n{answer.strip()}"
    )


def parse_reply(question: Question, answer: str, content: str) -> Feedback:
    """Turn the model's JSON into feedback; raise ValueError when it is not the schema."""
    rubric = question.rubric
    if rubric is None:
        raise FeedbackError(f"question {question.id!r} has no rubric")
    data = json.loads(content)
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    covered: dict[int, str] = {}
    for item in data["points"]:
        if bool(item["covered"]):
            covered[int(item["index"])] = str(item["quote"])
    points = tuple(
        PointResult(kp.point, i in covered, covered.get(i, ""))
        for i, kp in enumerate(rubric.key_points, start=1)
    )
    hits = tuple(
        MisconceptionHit(str(m["quote"]), str(m["quote"]), str(m["correction"]))
        for m in data["misconceptions"]
    )
    return Feedback(
        question.id,
        points,
        hits,
        suggest(list(points), list(hits), answer),
        engine="llm",
        critique=str(data["critique"]).strip(),
        follow_up=str(data["follow_up"]).strip(),
    )
