"""Which feedback engine the settings ask for: the language model when one is configured, else offline."""

from __future__ import annotations

from bot.feedback.llm import LlmConfig, LlmEngine
from bot.feedback.model import FeedbackEngine
from bot.feedback.offline import OfflineEngine
from bot.ops.settings import Settings


def feedback_engine(settings: Settings) -> FeedbackEngine:
    """The LLM engine only when both MLQ_LLM_BASE_URL and MLQ_LLM_MODEL are set: nothing is sent otherwise."""
    if settings.llm_base_url and settings.llm_model:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return LlmEngine(
            LlmConfig(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout_seconds)
        )
    return OfflineEngine()
