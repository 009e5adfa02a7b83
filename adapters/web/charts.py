"""Charts as server-side SVG drawn by pygal, readable without colour: every series carries a text
label on its bars (or is the only series), and each chart has a table view in its template.

No script is attached (`js=[]`): pygal would otherwise point the SVG at a tooltip script on the web.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from bot.practice.progress import AnswerRate, DueDay, HardQuestion, Mastery, WeekParticipation, WeekRatings

# Dark green, amber, dark red: apart in lightness too, and every bar also says N, P or M.
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#8c959f",
    colors=("#1a7f37", "#d4a72c", "#cf222e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=15,
    major_label_font_size=15,
    value_font_size=15,
    value_label_font_size=14,
    legend_font_size=15,
    tooltip_font_size=15,
)
_SINGLE = Style(**{**_STYLE.__dict__, "colors": ("#0969da",)})
_PERCENT = {"range": (0, 100), "y_labels": [0, 25, 50, 75, 100], "truncate_label": -1, "margin_right": 28}
_COMMON: dict[str, Any] = {
    "js": [],
    "disable_xml_declaration": True,
    "width": 480,
    "show_legend": False,
    "margin": 8,
    "print_values": True,
    "print_zeroes": False,
}


@dataclass(frozen=True, slots=True)
class Chart:
    """An SVG chart and the sentence that stands for it (the figure's accessible name)."""

    svg: Markup
    summary: str


def _render(chart: Any, summary: str) -> Chart:
    chart.add_xml_filter(_without_scripts)
    # pygal's output is built from our own numbers and labels (escaped by its XML writer).
    return Chart(Markup(chart.render(is_unicode=True)), summary)  # noqa: S704


def _without_scripts(root: Any) -> Any:
    """Drop the inline script pygal always writes (its tooltips' configuration): the page's CSP
    would refuse it anyway, and the chart needs none."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def week_label(week: date) -> str:
    return week.strftime("%d %b")


def ratings_over_time(weeks: Sequence[WeekRatings]) -> Chart:
    """Stacked bars per week: Nailed (N), Partly (P), Missed (M), each segment labelled."""
    chart = pygal.StackedBar(
        **{**_COMMON, "show_legend": True, "legend_at_bottom": True, "legend_at_bottom_columns": 3},
        height=340,
        style=_STYLE,
        print_labels=True,
        x_label_rotation=-40,
    )
    chart.x_labels = [week_label(w.week) for w in weeks]
    for name, letter, attribute in (
        ("Nailed it", "N", "nailed"),
        ("Partly", "P", "partly"),
        ("Missed it", "M", "missed"),
    ):
        values = [getattr(w, attribute) for w in weeks]
        chart.add(f"{letter} · {name}", [{"value": v, "label": letter} if v else None for v in values])
    total = sum(w.total for w in weeks)
    return _render(chart, f"Your ratings per week over {len(weeks)} weeks: {total} in all.")


def mastery(rows: Sequence[Mastery], what: str) -> Chart:
    """One horizontal bar per topic or track: the score in percent, printed on the bar."""
    chart = pygal.HorizontalBar(**_COMMON, height=60 + 44 * len(rows), style=_SINGLE, **_PERCENT)
    chart.x_labels = [row.label for row in rows]
    chart.value_formatter = lambda value: f"{value:.0f}%"
    chart.add("Score", [round(row.score * 100) for row in rows])
    return _render(chart, f"Your score by {what}, in percent: nailed counts fully, partly half.")


def forecast(days: Sequence[DueDay]) -> Chart:
    """Cards due per day, the next days; today includes what is overdue."""
    chart = pygal.Bar(**_COMMON, height=300, style=_SINGLE, x_label_rotation=-40, show_minor_x_labels=False)
    chart.x_labels = [day.day.strftime("%d %b") for day in days]
    chart.x_labels_major = [day.day.strftime("%d %b") for day in days[::7]]
    chart.add("Due", [day.due for day in days])
    total = sum(day.due for day in days)
    return _render(chart, f"Reviews falling due per day, the next {len(days)} days: {total} in all.")


def participation(weeks: Sequence[WeekParticipation]) -> Chart:
    """People who took part, per week."""
    chart = pygal.Bar(**_COMMON, height=300, style=_SINGLE, x_label_rotation=-40)
    chart.x_labels = [week_label(w.week) for w in weeks]
    chart.add("People", [w.people for w in weeks])
    return _render(chart, f"People who took part in the daily question, per week, over {len(weeks)} weeks.")


def answer_rates(rates: Sequence[AnswerRate]) -> Chart:
    """Per recent question, the share of the period's active people who took part."""
    chart = pygal.HorizontalBar(**_COMMON, height=60 + 36 * len(rates), style=_SINGLE, **_PERCENT)
    chart.x_labels = [f"{rate.day:%d %b} {_clip(rate.title, 18)}" for rate in rates]
    chart.value_formatter = lambda value: f"{value:.0f}%"
    chart.add("Answer rate", [round(rate.rate * 100) for rate in rates])
    return _render(chart, "Share of the channel's active people who took part in each recent question.")


def hardest(questions: Sequence[HardQuestion]) -> Chart:
    """The lowest-scored questions: score in percent from the ratings under their reveals."""
    chart = pygal.HorizontalBar(**_COMMON, height=60 + 40 * len(questions), style=_SINGLE, **_PERCENT)
    chart.x_labels = [_clip(q.title) for q in questions]
    chart.value_formatter = lambda value: f"{value:.0f}%"
    chart.add("Score", [round(q.score * 100) for q in questions])
    return _render(chart, "The questions people rated themselves lowest on: score in percent.")


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
