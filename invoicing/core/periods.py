"""The periods of a recurring schedule: pure date arithmetic, no model.

Monthly, quarterly and yearly periods are counted in months from the FIRST anchor date, never
from the previous period, so an anchor on the 31st gives 31 January, 28 (or 29) February,
31 March, 30 April… and never drifts to the 28th; a yearly schedule anchored on 29 February
falls back to the 28th in common years and returns to the 29th in leap years. The first period
starts on the first anchor date on or after the start date. Weekly periods step 7 × N days from
the start date. A period ends the day before the next one starts.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_interval, format_skeleton

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
MONTHS_PER_INTERVAL = {MONTH: 1, QUARTER: 3, YEAR: 12}
INTERVALS = (WEEK, *MONTHS_PER_INTERVAL)


def month_day(year, month, day):
    """``day`` of that month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(year, month, months):
    """(year, month) ``months`` months after ``year``-``month``."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def is_month_end(day):
    return day == month_day(day.year, day.month, 31)


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date
    interval: str
    interval_count: int

    def label(self, locale):
        """A label for people: "March 2026", "Q1 2026", "2026", "March – April 2026", or the
        dates ("2–8 Mar 2026") when the period is not whole calendar months, in ``locale``."""
        if self.start.day != 1 or not is_month_end(self.end):
            return format_interval(self.start, self.end, "yMMMd", locale=locale)
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if self.start.month == 1 and months % 12 == 0:
            if months == 12:
                return format_skeleton("y", self.start, locale=locale)
            return format_interval(self.start, self.end, "y", locale=locale)
        if months == 3 and self.start.month % 3 == 1:
            return format_skeleton("yQQQ", self.start, locale=locale)
        if months == 1:
            return format_skeleton("yMMMM", self.start, locale=locale)
        return format_interval(self.start, self.end, "yMMMM", locale=locale)


@dataclass(frozen=True)
class Cadence:
    """How often a schedule bills: every ``interval_count`` ``interval``s from ``start_date``,
    on ``anchor_day`` (month-based intervals; ``None``: the start date's day)."""

    interval: str
    interval_count: int
    start_date: date
    anchor_day: int | None = None

    def __post_init__(self):
        if self.interval not in INTERVALS:
            raise ValueError(f"Unknown interval {self.interval!r}")
        if self.interval_count < 1:
            raise ValueError("interval_count must be at least 1")

    @property
    def day(self):
        return self.anchor_day or self.start_date.day

    def _first_month(self):
        first = month_day(self.start_date.year, self.start_date.month, self.day)
        months = 0 if first >= self.start_date else 1
        return add_months(self.start_date.year, self.start_date.month, months)

    def start(self, index):
        """The first day of period ``index`` (0 for the first period)."""
        if self.interval == WEEK:
            return self.start_date + timedelta(weeks=self.interval_count * index)
        step = MONTHS_PER_INTERVAL[self.interval] * self.interval_count
        year, month = add_months(*self._first_month(), step * index)
        return month_day(year, month, self.day)

    def period(self, index):
        return Period(
            index=index,
            start=self.start(index),
            end=self.start(index + 1) - timedelta(days=1),
            interval=self.interval,
            interval_count=self.interval_count,
        )

    def periods(self):
        """Every period, from the first, endlessly; the caller stops."""
        index = 0
        while True:
            yield self.period(index)
            index += 1
