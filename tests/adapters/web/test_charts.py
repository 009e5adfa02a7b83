"""Charts drawn by pygal on the server: SVG with no script, readable without colour."""

from __future__ import annotations

import re
from datetime import date, timedelta

from adapters.web import charts
from bot.practice.progress import DueDay, Mastery, WeekRatings

WEEKS = [WeekRatings(date(2026, 11, 2), 3, 1, 0), WeekRatings(date(2026, 11, 9), 0, 2, 1)]


def test_every_ratings_segment_is_labelled_with_its_letter() -> None:
    """Each non-empty segment says N, P or M on it, and the legend spells them out."""
    svg = charts.ratings_over_time(WEEKS).svg
    labels = re.findall(r'class="label">([NPM])</text>', svg)
    assert sorted(labels) == ["M", "N", "P", "P"]
    for legend in ("N · Nailed it", "P · Partly", "M · Missed it"):
        assert legend in svg


def test_single_series_bars_print_their_values() -> None:
    """A mastery chart prints each score on its bar, in percent."""
    svg = charts.mastery(
        [Mastery("keras", "Keras 3", 1, 1, 0, 10), Mastery("ml", "ML", 0, 0, 2, 5)], "topic"
    ).svg
    assert ">75%</text>" in svg and "Keras 3" in svg


def test_no_chart_carries_a_script() -> None:
    """pygal's tooltip configuration script is removed; nothing is loaded from elsewhere."""
    days = [DueDay(date(2026, 11, 23) + timedelta(days=i), i % 3) for i in range(30)]
    for chart in (charts.ratings_over_time(WEEKS), charts.forecast(days)):
        assert "<script" not in chart.svg and "http://kozea" not in chart.svg and "//kozea" not in chart.svg


def test_a_chart_has_a_sentence_that_stands_for_it() -> None:
    """The summary, used as the figure's accessible name, gives the totals."""
    assert charts.ratings_over_time(WEEKS).summary == "Your ratings per week over 2 weeks: 7 in all."
