"""``manage.py invoicing_scheduler``: the module's periodic jobs without cron, for ``make run`` and
hosts that have no cron. It only enqueues each job's task when it is due; the task worker does the
work. Every job is safe to run late (it catches up) and twice (it does nothing the second time), so
a restart, or a second scheduler by mistake, costs nothing but a few idle runs.

A task that is still waiting for a worker is not enqueued again: a stopped worker finds one of
each job, not a pile, when it comes back.
"""

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks import TaskResultStatus

from invoicing import tasks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    task_name: str
    every: timedelta

    @property
    def task(self):
        return getattr(tasks, self.task_name)


# The production crontab in the README runs the same jobs at the same pace.
PERIODIC_JOBS = (
    PeriodicJob("retry_due_emails", timedelta(minutes=1)),
    PeriodicJob("resume_stalled_jobs", timedelta(minutes=1)),
    PeriodicJob("reconcile_payments", timedelta(minutes=5)),
    PeriodicJob("run_due_auto_charges", timedelta(minutes=10)),
    PeriodicJob("generate_recurring_invoices", timedelta(hours=1)),
    PeriodicJob("send_reminders", timedelta(hours=1)),
    PeriodicJob("purge_exports", timedelta(hours=1)),
)


class Scheduler:
    def __init__(self, jobs=PERIODIC_JOBS):
        self.jobs = jobs
        self.next_run = dict.fromkeys(jobs)  # None: due now
        self.waiting = {}  # job → the TaskResult of its last enqueue

    def run_due(self, now=None):
        """Enqueue every job that is due; returns those enqueued. One that cannot be enqueued (the
        database is down) stays due and is tried again at the next tick."""
        now = now or timezone.now()
        enqueued = []
        for job in self.jobs:
            due_at = self.next_run[job]
            if due_at is not None and due_at > now:
                continue
            self.next_run[job] = now + job.every
            if self._still_waiting(job):
                continue
            try:
                self.waiting[job] = job.task.enqueue()
            except Exception:
                logger.exception("Could not enqueue %s; trying again shortly", job.task_name)
                self.next_run[job] = now
                continue
            enqueued.append(job)
        return enqueued

    def _still_waiting(self, job):
        result = self.waiting.get(job)
        if result is None:
            return False
        try:
            result.refresh()
        except Exception:  # the backend forgot it, or cannot be asked: enqueue anew
            return False
        return result.status == TaskResultStatus.READY

    def seconds_to_next(self, now=None):
        now = now or timezone.now()
        soonest = min(due_at or now for due_at in self.next_run.values())
        return max((soonest - now).total_seconds(), 0)


class Command(BaseCommand):
    help = "Enqueue the invoicing module's periodic tasks when due, until stopped (make run starts it)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every job once, then exit.")

    def handle(self, *args, once=False, **options):
        scheduler = Scheduler()
        if once:
            self._report(scheduler.run_due())
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            "Scheduling: " + ", ".join(f"{job.task_name} every {job.every}" for job in scheduler.jobs), ending="\n"
        )
        while not stop.is_set():
            self._report(scheduler.run_due())
            # At least a second between ticks, so that a database that is down is not hammered.
            stop.wait(max(scheduler.seconds_to_next(), 1))
        self.stdout.write("Scheduler stopped.")

    def _report(self, jobs):
        if jobs:
            self.stdout.write("Enqueued: " + ", ".join(job.task_name for job in jobs))
