"""``make run``'s last step, ``bin/run-dev``, as a newcomer gets it: on a fresh SQLite database with
the demo, its scheduler and task worker run the periodic jobs with no cron: the demo's recurring
schedules catch up their periods, and every other periodic job runs too."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from invoicing.management.commands.invoicing_scheduler import PERIODIC_JOBS
from tests.localstripe import free_port

REPO = Path(__file__).resolve().parents[2]
# The demo's schedules per website: a monthly one started three months ago (4 periods so far) and
# one started a month ago (2 periods); see home/demo.py.
DEMO_SCHEDULE_INVOICES = 2 * (4 + 2)


# It makes its own SQLite database, whatever the suite's: the PostgreSQL pass would only repeat it.
pytestmark = pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"], reason="make run's SQLite: run in the SQLite pass"
)


@pytest.fixture
def fresh_demo(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "INVOICING_EXPORTS_ROOT": str(tmp_path / "exports"),
        "PORT": str(free_port()),
        "LOCALSTRIPE_PORT": str(free_port()),
        "VENV": str(Path(sys.executable).parent.parent),
        "RUN_DEV_TEST_ID": uuid.uuid4().hex,
    }
    env.pop("STRIPE_SECRET_KEY", None)
    for command in (["migrate", "--noinput"], ["seed_demo", "--port", env["PORT"]]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)
    return env, tmp_path / "db.sqlite3"


def count(database, sql):
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(sql).fetchone()[0]


def catchable_ctrl_c():
    # pytest-xdist's workers ignore SIGINT, and a shell cannot trap a signal ignored when it started.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_what_it_started(marker):
    """Every process of this run (each has its own session, so no process group reaches them all)."""
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if f"RUN_DEV_TEST_ID={marker}".encode() in environ.read_bytes().split(b"\0"):
                os.kill(int(environ.parent.name), signal.SIGKILL)


def all_jobs_ran(log):
    return all(f"path=invoicing.tasks.{job.task_name} state=SUCCESSFUL" in log for job in PERIODIC_JOBS)


def test_run_dev_runs_the_periodic_jobs_without_cron(fresh_demo, tmp_path):
    env, database = fresh_demo
    log = tmp_path / "run-dev.log"
    with log.open("w") as output:
        run_dev = subprocess.Popen(
            [str(REPO / "bin" / "run-dev")],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=catchable_ctrl_c,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run_dev.poll() is None:
            recurring = count(database, "select count(*) from invoicing_invoice where schedule_id is not null")
            if recurring == DEMO_SCHEDULE_INVOICES and all_jobs_ran(log.read_text()):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"The periodic jobs did not run: {recurring} recurring invoices\n{log.read_text()[-4000:]}")
        # Caught up once, and emailed: nothing twice, even with the scheduler still ticking.
        time.sleep(2)
        assert count(database, "select count(*) from invoicing_invoice where schedule_id is not null") == (
            DEMO_SCHEDULE_INVOICES
        )
        assert count(
            database,
            "select count(*) from invoicing_outboundemail e join invoicing_invoice i on i.id = e.invoice_id "
            "where i.schedule_id is not null and e.kind = 'invoice'",
        ) == (DEMO_SCHEDULE_INVOICES)
    finally:
        run_dev.send_signal(signal.SIGINT)
        try:
            status = run_dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill_what_it_started(env["RUN_DEV_TEST_ID"])
            raise
    assert status == 130, log.read_text()[-4000:]
    assert "run-dev | stopped." in log.read_text()
