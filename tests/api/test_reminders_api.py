"""The API's view of reminders: the next one on the invoice's detail, and pausing and resuming."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import open_invoice

from .conftest import invoice_url

pytestmark = pytest.mark.django_db

TODAY = datetime(2027, 1, 4, 9, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_the_detail_shows_the_next_reminder_and_pause_and_resume_change_it(api, site_a):
    invoice = open_invoice(site_a, due_date=TODAY.date() + timedelta(days=10))[0]
    detail = api.get(invoice_url(invoice)).json()
    assert detail["next_reminder"] == {
        "step": "after_1",
        "label": "The day after the due date",
        "date": "2027-01-15",
    }
    assert detail["reminders_paused"] is False
    paused = api.post(invoice_url(invoice, "pause_reminders"))
    assert paused.status_code == 200
    assert (paused.json()["next_reminder"], paused.json()["reminders_paused"]) == (None, True)
    again = api.post(invoice_url(invoice, "pause_reminders"))
    assert again.status_code == 409 and "already paused" in again.json()["detail"]
    resumed = api.post(invoice_url(invoice, "resume_reminders")).json()
    assert resumed["reminders_paused"] is False and resumed["next_reminder"]["step"] == "after_1"
