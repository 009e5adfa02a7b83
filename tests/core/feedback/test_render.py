"""Feedback as Markdown: what the person reads about each key point and the suggested rating."""

from __future__ import annotations

from bot.feedback.model import Feedback, PointResult
from bot.feedback.render import feedback_text
from bot.practice.review import SelfRating


def test_a_point_covered_in_part_is_shown_as_such_and_counted_apart() -> None:
    """The person sees which points they only touched on, so Partly does not look like a mistake."""
    feedback = Feedback(
        "q",
        (
            PointResult("L1 gives sparse weights", True, "l1 sparse"),
            PointResult("L2 keeps weights non-zero", True, "l2 non-zero", in_part=True),
            PointResult("L1 selects features", False),
        ),
        (),
        SelfRating.PARTLY,
        engine="offline",
    )
    text = feedback_text(feedback)
    assert "◐ L2 keeps weights non-zero — in part: you said “l2 non-zero”" in text
    assert "(2 of 3 key points, 1 of them in part)" in text
    assert feedback.as_json()["covered"] == [
        {"point": "L1 gives sparse weights", "matched": "l1 sparse"},
        {"point": "L2 keeps weights non-zero", "matched": "l2 non-zero", "in_part": True},
    ]
