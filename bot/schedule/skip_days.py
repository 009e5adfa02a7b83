"""Days a subscription skips: a country's public holidays (the `holidays` package) and given dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import holidays as holiday_data

from bot.text import shown

# How many dates `skip` takes: enough for a year's closures, few enough that settings list them all.
MAX_SKIP_DATES = 50


class HolidayError(ValueError):
    """A country code or date a user gave that we cannot use."""


@dataclass(frozen=True, slots=True)
class SkipDays:
    """Public holidays of `country` (ISO 3166 code, optionally with a subdivision: `US-NY`), and `dates`."""

    country: str | None = None
    dates: frozenset[date] = field(default_factory=frozenset)

    def reason(self, day: date) -> str | None:
        """Why the day is skipped (the holiday's name, or "on the skip list"), or None if it is not."""
        if day in self.dates:
            return "on the skip list"
        if self.country:
            return _holidays(self.country, day.year).get(day)
        return None

    def describe(self) -> str:
        parts = []
        if self.country:
            parts.append(f"public holidays in {self.country}")
        if self.dates:
            dates = sorted(self.dates)
            listed = ", ".join(d.isoformat() for d in dates[:MAX_SKIP_DATES])
            # Subscriptions saved before the bound may hold more: the list stays within a message.
            more = f" and {len(dates) - MAX_SKIP_DATES} more" if len(dates) > MAX_SKIP_DATES else ""
            parts.append(f"dates {listed}{more}")
        return " and ".join(parts) if parts else "none"


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> dict[date, str]:
    code, _, subdivision = country.partition("-")
    return dict(holiday_data.country_holidays(code, subdiv=subdivision or None, years=year).items())


def parse_country(text: str) -> str:
    """Check a country code (`GB`, `us`, `US-NY`) against the holidays package; return it upper-case."""
    value = text.strip().upper()
    code, _, subdivision = value.partition("-")
    supported = holiday_data.list_supported_countries()
    if code not in supported:
        raise HolidayError(
            f"unknown country code {shown(text)!r} for holidays: "
            "use an ISO 3166 code such as GB, US, DE or IN"
        )
    if subdivision and subdivision not in supported[code]:
        known = ", ".join(supported[code][:12]) or "none"
        raise HolidayError(f"unknown subdivision {shown(subdivision)!r} of {code} (some known: {known})")
    return value


def parse_dates(text: str) -> frozenset[date]:
    """Parse comma-separated ISO dates (`2026-12-24,2026-12-31`), at most MAX_SKIP_DATES of them."""
    parts = list(dict.fromkeys(filter(None, (p.strip() for p in text.split(",")))))
    if len(parts) > MAX_SKIP_DATES:
        raise HolidayError(
            f"`skip` takes at most {MAX_SKIP_DATES} dates (got {len(parts)}); "
            "public holidays need no dates: `holidays GB`"
        )
    days: set[date] = set()
    for part in parts:
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise HolidayError(f"skip date {shown(part)!r} is not YYYY-MM-DD (e.g. 2026-12-24)") from None
    if not days:
        raise HolidayError(f"no dates in {shown(text)!r}: use YYYY-MM-DD[,YYYY-MM-DD…]")
    return frozenset(days)
