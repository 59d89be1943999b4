"""The reminder schedule as pure dates (``core.reminder_schedule``), for any choice of steps."""

from datetime import date, timedelta
from itertools import islice, takewhile

from hypothesis import given
from hypothesis import strategies as st

from invoicing.core.reminder_schedule import plan_reminders, scheduled_steps, step_label
from invoicing.core.reminder_steps import REMINDER_STEPS

DUE = date(2028, 2, 29)
step_choices = st.lists(st.sampled_from(REMINDER_STEPS), unique=True).map(
    lambda steps: sorted(steps, key=lambda step: step.days_after_due)
)


def test_the_steps_then_repeats_every_n_days_after_the_last():
    steps = [step for step in REMINDER_STEPS if step.key in ("before_3", "after_7")]
    dated = [(step.key, (step.date - DUE).days) for step in islice(scheduled_steps(DUE, steps, 10), 5)]
    assert dated == [("before_3", -3), ("after_7", 7), ("repeat_1", 17), ("repeat_2", 27), ("repeat_3", 37)]
    assert str(step_label("repeat_2")) == "Repeat reminder 2" and step_label("on_due") == "On the due date"


def test_no_step_on_means_no_reminder_and_no_repeat():
    assert list(scheduled_steps(DUE, [], 7)) == []


@given(step_choices, st.integers(0, 30), st.integers(-40, 400))
def test_starting_after_a_date_is_the_same_as_filtering_the_whole_schedule(steps, every, offset):
    after = DUE + timedelta(days=offset)
    horizon = DUE + timedelta(days=500)
    whole = list(takewhile(lambda s: s.date <= horizon, scheduled_steps(DUE, steps, every)))
    assert list(takewhile(lambda s: s.date <= horizon, scheduled_steps(DUE, steps, every, after=after))) == [
        step for step in whole if step.date > after
    ]
    dates = [step.date for step in whole]
    assert dates == sorted(set(dates))  # one step per day at most, in order
    assert len({step.key for step in whole}) == len(whole)


@given(step_choices, st.integers(0, 30), st.integers(-10, 400), st.integers(-10, 400))
def test_a_plan_sends_the_latest_step_due_and_skips_the_earlier_ones(steps, every, done_offset, today_offset):
    today, done = DUE + timedelta(days=today_offset), DUE + timedelta(days=done_offset)
    plan = plan_reminders(DUE, steps, every, today=today, done_through=done)
    due = list(takewhile(lambda s: s.date <= today, scheduled_steps(DUE, steps, every, after=done)))
    assert plan.send == (due[-1] if due else None)
    assert list(plan.skip) == due[:-1]
    assert plan.upcoming is None or plan.upcoming.date > today
