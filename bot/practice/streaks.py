"""Streaks over a channel's scheduled questions: days without a post (weekends, pauses, holidays)
have no post row, so they neither count nor break a streak."""

from __future__ import annotations

from dataclasses import dataclass

from bot.records import PostRecord


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    longest: int


def streak(posts: list[PostRecord], took_part: set[int]) -> Streak:
    """Count consecutive posts (oldest first) the person took part in.

    The latest post, while not yet revealed, is still open: if the person has not answered it yet it
    neither counts nor breaks the streak, so a streak does not drop at 09:00 when the question appears.
    """
    run = longest = 0
    for index, post in enumerate(posts):
        if post.id in took_part:
            run += 1
            longest = max(longest, run)
        elif not (index == len(posts) - 1 and post.revealed_at is None):
            run = 0
    return Streak(run, longest)
