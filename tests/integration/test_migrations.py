"""Data migrations, run for real: back to the migration before, data as it was then, and forward."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from invoicing.models import BillingSettings
from tests.factories import make_website

BEFORE_REMINDER_STEPS = [("invoicing", "0012_worker_leases")]
REMINDER_STEPS = [("invoicing", "0013_recurring_autocharge_reminder_steps")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_reminder_steps_keep_reminders_off_where_they_were_off_and_as_they_were_elsewhere():
    off, weekly = make_website("off.test"), make_website("weekly.test")
    try:
        old_apps = migrate(BEFORE_REMINDER_STEPS)
        OldBillingSettings = old_apps.get_model("invoicing", "BillingSettings")
        OldBillingSettings.objects.filter(site_id=off.pk).update(reminder_interval_days=0)
        OldBillingSettings.objects.filter(site_id=weekly.pk).update(reminder_interval_days=7)

        migrate(REMINDER_STEPS)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # "Every 0 days" meant no reminders: no step is on there. Elsewhere: the day after, then every 7 days.
    assert BillingSettings.objects.get(site=off).reminder_steps == []
    weekly_settings = BillingSettings.objects.get(site=weekly)
    assert [step.key for step in weekly_settings.reminder_steps] == ["after_1"]
    assert weekly_settings.reminder_interval_days == 7
