"""The scheduler that ``make run`` starts (``manage.py invoicing_scheduler``): each periodic job's
task is enqueued at its pace into the real django-tasks database queue, and run by the real
``db_worker``; a worker that is away finds one task per job, not a pile."""

from collections import Counter
from datetime import timedelta

import django
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from invoicing.management.commands.invoicing_scheduler import PERIODIC_JOBS, Scheduler

EVERY_JOB = {job.task_name for job in PERIODIC_JOBS}
EVERY_MINUTE = {job.task_name for job in PERIODIC_JOBS if job.every == timedelta(minutes=1)}


# On Django 6, django-tasks-db builds on Django's own django.tasks, and a task made at import time
# under the test settings' backend (the backport's) is not one of those: switching to the database
# queue in the middle of a run would mix the two. test_make_run.py runs the scheduler and the worker
# as real processes on every Django.
pytestmark = pytest.mark.skipif(django.VERSION >= (6, 0), reason="the database queue of Django 6's django.tasks")


@pytest.fixture(autouse=True)
def database_queue(settings, transactional_db):
    # Transactional: the worker closes its database connection after its tasks, as in production.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def names(jobs):
    return {job.task_name for job in jobs}


def waiting_tasks():
    paths = DBTaskResult.objects.filter(status=TaskResultStatus.READY).values_list("task_path", flat=True)
    return Counter(path.rpartition(".")[2] for path in paths)


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)


def test_each_job_is_enqueued_at_its_own_pace_and_run_by_the_worker():
    scheduler = Scheduler()
    start = timezone.now()

    assert names(scheduler.run_due(start)) == EVERY_JOB
    assert waiting_tasks() == Counter(EVERY_JOB)
    run_worker()
    finished = DBTaskResult.objects.values_list("status", flat=True)
    assert set(finished) == {TaskResultStatus.SUCCESSFUL}

    assert scheduler.run_due(start + timedelta(seconds=30)) == []
    assert names(scheduler.run_due(start + timedelta(seconds=61))) == EVERY_MINUTE
    run_worker()
    assert names(scheduler.run_due(start + timedelta(minutes=5, seconds=2))) == EVERY_MINUTE | {"reconcile_payments"}
    run_worker()
    assert names(scheduler.run_due(start + timedelta(hours=1, seconds=3))) == EVERY_JOB


def test_a_worker_that_is_away_finds_one_task_per_job_not_a_pile():
    scheduler = Scheduler()
    start = timezone.now()
    for minute in range(3 * 60):  # three hours without a worker
        scheduler.run_due(start + timedelta(minutes=minute, seconds=1))
    assert waiting_tasks() == Counter(EVERY_JOB)

    run_worker()
    assert waiting_tasks() == Counter()
    # Every job came due again while its task waited; now that the worker is back, each is enqueued.
    assert names(scheduler.run_due(start + timedelta(hours=3, minutes=1))) == EVERY_JOB


def test_a_job_that_could_not_be_enqueued_is_tried_again_at_the_next_tick(monkeypatch):
    # The queue's database refuses the first write of send_reminders (as when it restarts).
    real_enqueue = DatabaseBackend.enqueue
    refused = []

    def enqueue(backend, task, args, kwargs):
        if task.name == "send_reminders" and not refused:
            refused.append(task)
            raise OperationalError("the database is restarting")
        return real_enqueue(backend, task, args, kwargs)

    monkeypatch.setattr(DatabaseBackend, "enqueue", enqueue)
    scheduler = Scheduler()
    start = timezone.now()
    assert names(scheduler.run_due(start)) == EVERY_JOB - {"send_reminders"}
    assert scheduler.seconds_to_next(start) == 0
    assert names(scheduler.run_due(start + timedelta(seconds=1))) == {"send_reminders"}
    assert waiting_tasks()["send_reminders"] == 1


def test_once_enqueues_every_job_and_exits(capsys):
    call_command("invoicing_scheduler", once=True)
    assert waiting_tasks() == Counter(EVERY_JOB)
    assert "send_reminders" in capsys.readouterr().out
