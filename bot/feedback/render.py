"""Feedback as platform-neutral Markdown (adapters render it like any other message body)."""

from __future__ import annotations

from bot.feedback.model import Feedback


def feedback_text(feedback: Feedback) -> str:
    lines = ["**Key points**"]
    for point in feedback.points:
        if point.in_part:
            lines.append(f"◐ {point.point} — in part: you said “{point.matched}”")
        elif point.covered:
            lines.append(f"✓ {point.point} — you said “{point.matched}”")
        else:
            lines.append(f"✗ {point.point}")
    if feedback.misconceptions:
        lines.append("**Check these**")
        lines += [f"⚠ “{m.matched}”: {m.correction}" for m in feedback.misconceptions]
    if feedback.critique:
        lines += ["**Critique**", feedback.critique]
    if feedback.follow_up:
        lines += ["**Follow-up**", feedback.follow_up]
    covered, total = len(feedback.covered), len(feedback.points)
    in_part = sum(p.in_part for p in feedback.points)
    count = f"{covered} of {total} key points" + (f", {in_part} of them in part" if in_part else "")
    lines.append(f"Suggested rating: **{feedback.suggested.label}** ({count})")
    if feedback.note:
        lines.append(f"_{feedback.note}_")
    return "\n".join(lines)
