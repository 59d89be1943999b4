"""The reminder steps a website can turn on, each a fixed number of days from the due date.

A fixed catalogue, as Stripe Invoicing offers, so that each step has its own switch in Settings →
Billing and its own optional wording on the Invoice emails page. After the last step that is on,
a website may go on reminding every N days (``BillingSettings.reminder_interval_days``): the
"repeat" steps, numbered ``repeat_1``, ``repeat_2``, … so that each is sent once too.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ReminderStep:
    key: str
    days_after_due: int  # negative: before the due date
    label: str


REMINDER_STEPS = (
    ReminderStep("before_7", -7, _("7 days before the due date")),
    ReminderStep("before_3", -3, _("3 days before the due date")),
    ReminderStep("on_due", 0, _("On the due date")),
    ReminderStep("after_1", 1, _("The day after the due date")),
    ReminderStep("after_7", 7, _("7 days after the due date")),
    ReminderStep("after_14", 14, _("14 days after the due date")),
    ReminderStep("after_30", 30, _("30 days after the due date")),
)
STEPS_BY_KEY = {step.key: step for step in REMINDER_STEPS}
REPEAT_PREFIX = "repeat_"
