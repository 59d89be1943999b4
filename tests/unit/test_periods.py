"""The periods of a recurring schedule (``core.periods``): pure date arithmetic."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from invoicing.core.periods import Cadence


def label(period, locale="en_US"):
    """The period's label, with babel's thin and narrow no-break spaces made plain."""
    return period.label(locale).replace("\u2009", " ").replace("\u202f", " ")


def walk(cadence, count=14):
    return [(period.start, period.end) for period in (cadence.period(k) for k in range(count))]


def test_monthly_on_the_31st_falls_back_to_short_months_and_never_drifts():
    starts = [start for start, _ in walk(Cadence("month", 1, date(2026, 1, 31)))]
    assert starts == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
    ]


def test_monthly_on_the_31st_meets_29_february_in_a_leap_year():
    cadence = Cadence("month", 1, date(2027, 12, 31))
    assert [cadence.start(k) for k in range(4)] == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]
    assert cadence.period(1).end == date(2028, 2, 28)


def test_monthly_on_the_30th_keeps_the_30th_after_february():
    cadence = Cadence("month", 1, date(2026, 1, 30))
    assert [cadence.start(k) for k in range(3)] == [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)]


def test_the_first_period_starts_on_the_first_anchor_day_on_or_after_the_start_date():
    assert Cadence("month", 1, date(2026, 3, 20), anchor_day=1).start(0) == date(2026, 4, 1)
    assert Cadence("month", 1, date(2026, 3, 20), anchor_day=25).start(0) == date(2026, 3, 25)
    assert Cadence("month", 1, date(2026, 3, 20), anchor_day=20).start(0) == date(2026, 3, 20)
    # The 31st in a month that has 30 days: its last day, if that is not before the start date.
    assert Cadence("month", 1, date(2026, 4, 10), anchor_day=31).start(0) == date(2026, 4, 30)
    assert Cadence("month", 1, date(2026, 2, 28), anchor_day=31).start(0) == date(2026, 2, 28)


def test_monthly_every_month_with_labels():
    cadence = Cadence("month", 1, date(2026, 1, 1))
    periods = [cadence.period(k) for k in range(14)]
    assert [(p.start, p.end) for p in periods[:3]] == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    assert periods[13].start == date(2027, 2, 1)
    assert [label(p, "en_US") for p in periods[:3]] == ["January 2026", "February 2026", "March 2026"]
    assert label(periods[2], "de_DE") == "März 2026"


def test_every_other_month():
    cadence = Cadence("month", 2, date(2026, 3, 1))
    assert walk(cadence, 3) == [
        (date(2026, 3, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 8, 31)),
    ]
    assert label(cadence.period(0), "en_US") == "March – April 2026"
    assert label(Cadence("month", 2, date(2026, 12, 1)).period(0), "en_US") == "December 2026 – January 2027"


def test_a_month_that_does_not_start_on_the_1st_is_labelled_with_its_dates():
    period = Cadence("month", 1, date(2026, 3, 15)).period(0)
    assert (period.start, period.end) == (date(2026, 3, 15), date(2026, 4, 14))
    assert label(period, "en_GB") == "15 Mar – 14 Apr 2026"


def test_quarterly_with_labels():
    cadence = Cadence("quarter", 1, date(2026, 1, 1))
    assert walk(cadence, 5) == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
    ]
    assert [label(cadence.period(k), "en_US") for k in range(5)] == [
        "Q1 2026",
        "Q2 2026",
        "Q3 2026",
        "Q4 2026",
        "Q1 2027",
    ]
    # A quarter that is not a calendar quarter is named by its months.
    assert label(Cadence("quarter", 1, date(2026, 2, 1)).period(0), "en_US") == "February – April 2026"


def test_quarterly_on_the_31st():
    cadence = Cadence("quarter", 1, date(2026, 1, 31))
    assert [cadence.start(k) for k in range(5)] == [
        date(2026, 1, 31),
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
        date(2027, 1, 31),
    ]


def test_every_two_quarters():
    cadence = Cadence("quarter", 2, date(2026, 1, 1))
    assert walk(cadence, 2) == [(date(2026, 1, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 12, 31))]
    assert label(cadence.period(0), "en_US") == "January – June 2026"


def test_yearly_with_labels():
    cadence = Cadence("year", 1, date(2026, 1, 1))
    assert walk(cadence, 2) == [(date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 12, 31))]
    assert label(cadence.period(0), "en_US") == "2026"
    assert label(Cadence("year", 2, date(2026, 1, 1)).period(0), "en_US") == "2026 – 2027"
    assert label(Cadence("year", 1, date(2026, 6, 1)).period(0), "en_GB") == "June 2026 – May 2027"
    assert label(Cadence("year", 1, date(2026, 6, 15)).period(0), "en_GB") == "15 Jun 2026 – 14 Jun 2027"


def test_yearly_on_29_february_falls_back_to_the_28th_and_returns_in_leap_years():
    cadence = Cadence("year", 1, date(2024, 2, 29))
    assert [cadence.start(k) for k in range(6)] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]
    assert cadence.period(3).end == date(2028, 2, 28)


def test_monthly_from_29_february_keeps_the_29th_where_it_exists():
    cadence = Cadence("month", 1, date(2028, 2, 29))
    assert [cadence.start(k) for k in range(14)][:3] == [date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)]
    assert cadence.start(12) == date(2029, 2, 28)
    assert cadence.start(13) == date(2029, 3, 29)


def test_weekly_and_every_two_weeks_with_labels():
    weekly = Cadence("week", 1, date(2026, 3, 2))
    periods = [weekly.period(k) for k in range(61)]  # 14 months
    assert (periods[0].start, periods[0].end) == (date(2026, 3, 2), date(2026, 3, 8))
    assert periods[60].start == date(2026, 3, 2) + timedelta(weeks=60)
    assert all(p.start.weekday() == 0 for p in periods)
    assert label(periods[0], "en_GB") == "2–8 Mar 2026"
    assert label(periods[4], "en_GB") == "30 Mar – 5 Apr 2026"
    fortnightly = Cadence("week", 2, date(2026, 12, 21))
    assert walk(fortnightly, 2) == [(date(2026, 12, 21), date(2027, 1, 3)), (date(2027, 1, 4), date(2027, 1, 17))]
    assert label(fortnightly.period(0), "en_GB") == "21 Dec 2026 – 3 Jan 2027"


def test_a_bad_cadence_is_refused():
    with pytest.raises(ValueError):
        Cadence("day", 1, date(2026, 1, 1))
    with pytest.raises(ValueError):
        Cadence("month", 0, date(2026, 1, 1))


@hypothesis_settings(max_examples=300, deadline=None, derandomize=True)
@given(
    interval=st.sampled_from(["week", "month", "quarter", "year"]),
    count=st.integers(min_value=1, max_value=13),
    start_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    anchor_day=st.one_of(st.none(), st.integers(min_value=1, max_value=31)),
)
def test_periods_are_contiguous_never_overlap_and_start_on_the_anchor(interval, count, start_date, anchor_day):
    if interval == "week":
        anchor_day = None
    cadence = Cadence(interval, count, start_date, anchor_day=anchor_day)
    periods = [cadence.period(k) for k in range(30)]
    assert periods[0].start >= start_date
    anchor = anchor_day or start_date.day
    for period, following in zip(periods, periods[1:], strict=False):
        assert period.start <= period.end < following.start
        assert period.end + timedelta(days=1) == following.start
    for period in periods:
        if interval == "week":
            assert period.start.weekday() == start_date.weekday()
        else:
            assert period.start.day == min(anchor, calendar.monthrange(period.start.year, period.start.month)[1])
        assert label(period, "en_US")
