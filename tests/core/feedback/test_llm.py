"""Feedback from a language model through an OpenAI-compatible endpoint, with the offline engine as
the fallback whenever the model cannot answer (tested against a local fake server over HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.content.questions import Question
from bot.feedback.llm import LlmConfig, LlmEngine
from bot.practice.review import SelfRating
from tests.core.feedback.test_offline import RUBRIC
from tests.support.fake_llm import FakeLlm

ANSWER = "L1 gives sparse weights. Ridge also removes features."
REPLY = {
    "points": [
        {"index": 1, "covered": True, "quote": "L1 gives sparse weights"},
        {"index": 2, "covered": False, "quote": ""},
        {"index": 3, "covered": False, "quote": ""},
    ],
    "misconceptions": [{"quote": "Ridge also removes features", "correction": "Ridge keeps every feature."}],
    "critique": "You named L1's sparsity. You missed how L2 behaves.",
    "follow_up": "What happens to correlated features under L1?",
}


@pytest.fixture
def question(make_question: Callable[..., Question]) -> Question:
    return replace(make_question("l1-vs-l2"), rubric=RUBRIC)


def engine(fake: FakeLlm, timeout: float = 5.0, key: str | None = "sk-test-123") -> LlmEngine:
    return LlmEngine(LlmConfig(fake.url, "tiny-model", key, timeout))


async def test_the_models_structured_reply_becomes_feedback(fake_llm: FakeLlm, question: Question) -> None:
    """Covered points, misconceptions, critique and follow-up come from the model's JSON."""
    fake_llm.content = json.dumps(REPLY)
    feedback = await engine(fake_llm).assess(question, ANSWER)
    assert feedback.engine == "llm"
    assert [p.covered for p in feedback.points] == [True, False, False]
    assert feedback.misconceptions[0].correction == "Ridge keeps every feature."
    assert feedback.follow_up == "What happens to correlated features under L1?"
    assert feedback.suggested is SelfRating.MISSED  # one point of three, and something wrong


async def test_the_request_asks_for_the_json_schema_and_sends_only_the_question_and_answer(
    fake_llm: FakeLlm, question: Question
) -> None:
    """What leaves the process: question, key points, misconceptions, the answer; the key as a bearer."""
    fake_llm.content = json.dumps(REPLY)
    await engine(fake_llm).assess(question, ANSWER)
    [sent] = fake_llm.requests
    assert sent["model"] == "tiny-model"
    assert sent["response_format"]["type"] == "json_schema"
    text = json.dumps(sent["messages"])
    assert ANSWER in text and question.text in text and RUBRIC.key_points[0].point in text
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test-123"


async def test_a_slow_model_falls_back_to_offline_feedback_and_says_so(
    fake_llm: FakeLlm, question: Question
) -> None:
    """Past the time-out the person still gets feedback, from the offline engine, with a note."""
    fake_llm.delay = 2.0
    feedback = await engine(fake_llm, timeout=0.3).assess(question, ANSWER)
    assert feedback.engine == "offline"
    assert "did not answer within 0.3 s" in feedback.note


@pytest.mark.parametrize(
    ("status", "content", "note"),
    [
        (503, "{}", "answered HTTP 503"),
        (200, "Sure! Here is my assessment: good job", "not the expected JSON"),
        (200, json.dumps({"points": "all of them"}), "not the expected JSON"),
    ],
)
async def test_an_error_or_a_reply_off_schema_falls_back_to_offline(
    fake_llm: FakeLlm, question: Question, status: int, content: str, note: str
) -> None:
    fake_llm.status, fake_llm.content = status, content
    feedback = await engine(fake_llm).assess(question, ANSWER)
    assert feedback.engine == "offline" and note in feedback.note


async def test_an_unreachable_endpoint_falls_back_to_offline(question: Question) -> None:
    """A closed port: offline feedback, and the note says the endpoint could not be reached."""
    closed = LlmEngine(LlmConfig("http://127.0.0.1:9/v1", "m", None, 2.0))
    feedback = await closed.assess(question, ANSWER)
    assert feedback.engine == "offline" and "could not be reached" in feedback.note


def test_without_an_endpoint_the_offline_engine_is_used() -> None:
    """Unless both MLQ_LLM_BASE_URL and MLQ_LLM_MODEL are set, nothing is sent anywhere."""
    from bot.feedback.engines import feedback_engine
    from bot.feedback.offline import OfflineEngine
    from bot.ops.settings import Settings

    assert isinstance(feedback_engine(Settings(llm_base_url="http://127.0.0.1:1/v1")), OfflineEngine)
    assert isinstance(feedback_engine(Settings(llm_model="m")), OfflineEngine)
    configured = feedback_engine(Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="m"))
    assert isinstance(configured, LlmEngine)
