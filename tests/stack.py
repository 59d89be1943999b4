"""The whole system as real processes, on this machine, for tests and benchmarks: a throwaway
PostgreSQL database, Redis as the shared cache, localstripe as Stripe, an SMTP sink as the mail
server, N gunicorn instances (production settings) and M ``manage.py db_worker`` processes.

    from tests.stack import Stack

    with Stack(web=2, web_workers=1, task_workers=2, seed="tests.cluster.scenarios:seed_drafts",
               seed_args=(100,), env={"INVOICING_RATE_LIMIT_PER_IP": "20"}) as stack:
        requests.get(stack.urls[0] + "/admin/login/")
        stack.smtp.wait_for(100)
        stack.call("tests.cluster.scenarios:tally_emails", stack.seeded)  # run against its database

API (kept stable; other modules build on it):

``Stack(*, web=1, web_workers=2, task_workers=1, seed=None, seed_args=(), env=None, postgres=None,
redis=None, name="stack", gunicorn_args=(), seed_seconds=600)``
    ``seed`` is ``None`` (nothing but what the migrations make: Wagtail's default site), ``"demo"``
    (``manage.py seed_demo``) or ``"module:function"``, called as ``function(*seed_args)`` in a
    Django process of the stack (see ``call``); its JSON-able return value becomes ``stack.seeded``.
    ``seed_seconds`` bounds the seeding (on top of ``STARTUP_SECONDS`` for the rest). ``gunicorn_args``
    go to each gunicorn (e.g. ``("--threads", "4")``); ``web_workers`` is its ``--workers``.
    ``env`` adds to, or overrides, the environment of every process (e.g. rate limits).
    ``postgres`` is the server, ``postgres://user@host:port/``; default: ``STACK_POSTGRES_URL``, else
    the server of a PostgreSQL ``DATABASE_URL``, else ``postgres://root@127.0.0.1:5432/``.
    ``redis`` is the Redis URL; default ``STACK_REDIS_URL``, else ``redis://127.0.0.1:6379/0``. The
    stack's keys get a unique prefix and are deleted at the end (never FLUSHDB: Redis is shared).
``start()`` (also ``with Stack(...) as stack``) starts everything in parallel, waits for each part
    to answer (``STARTUP_SECONDS`` in all), and returns the stack. If anything fails, everything
    started is stopped, the logs are printed, and ``StackFailed`` is raised.
``stop()`` stops every process (their whole process groups: gunicorn's workers too), the SMTP sink,
    drops the database and deletes the Redis keys. Safe to call twice; also run at interpreter exit
    and, in the main thread, on SIGTERM. A SIGKILL of the caller leaves the processes behind.

After ``start()``:
    ``urls``            one ``http://127.0.0.1:PORT`` per gunicorn instance; ``url`` is the first
    ``database_url``    the throwaway database
    ``env``             the environment of the stack's processes (settings come from it)
    ``localstripe``     a ``tests.localstripe.LocalStripe`` (``.url``, ``.pay()``, ``.events()``, ...)
    ``smtp``            the ``SmtpSink`` that every email reaches: ``messages`` (Message-ID,
                        recipients, subject), ``arrival_times``, ``count()``, ``wait_for(n)``,
                        ``by_message_id()``, ``by_recipient()``
    ``webhook_secret``  ``STRIPE_WEBHOOK_SECRET`` of the stack, to sign webhook deliveries
    ``admin_password``  the password of the superuser ``admin`` (made at start)
    ``seeded``          what the seeding function returned
    ``call(target, *args)``  ``"module:function"(*args)`` in a new Django process of the stack;
                        arguments and result go through JSON
    ``manage(*args)``   ``manage.py`` with the stack's environment; returns its output
    ``admin_session(url=None)``  a ``requests.Session`` logged in to the admin as ``admin``
    ``logs()``          the text of every process's log, by name
    ``timings``         seconds taken: database, web, setup (seeding), start (in all), stop

Settings are ``site_config.settings.production`` with what it needs from the environment; the
email backend is ``tests.smtp_sink.SinkEmailBackend`` (Django's SMTP backend, pointed at the sink by
``STACK_SMTP_PORT``), since the project's settings read no SMTP host or port.

The mail server is ``tests/smtp_sink.py``; the throwaway database, ``tests/throwaway_postgres.py``.
Run ``python -m tests.stack`` to start a stack with the demo data and keep it up until Ctrl-C.
"""

import atexit
import contextlib
import importlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from tests.localstripe import LocalStripe, free_port
from tests.smtp_sink import SinkEmailBackend, SmtpSink  # noqa: F401 - SinkEmailBackend: part of the API
from tests.throwaway_postgres import (
    PostgresFailed,
    create_migrated_database,
    database_url,
    drop_database,
    server_url,
)

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120
STOP_SECONDS = 10
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
ADMIN_USERNAME = "admin"
# localstripe, without writing its whole state to /tmp/localstripe.pickle after each write: that
# makes hundreds of payments quadratic (seconds per call after a few hundred), and every localstripe
# on the machine shares that file. The stack starts from scratch and never reads it.
LOCALSTRIPE_IN_MEMORY = (
    "import sys; from localstripe import resources, server; "
    "resources.Store.dump_to_disk = lambda store: None; sys.exit(server.start())"
)
# The environment a developer's shell may hold that must not reach the stack's processes.
DROPPED_ENV = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")


class StackFailed(RuntimeError):
    pass


# Processes -------------------------------------------------------------------------------------


class Process:
    """A process of the stack, in a session (process group) of its own, logging to a file."""

    def __init__(self, name, args, *, env, log_dir, cwd=REPO):
        self.name = name
        self.log = Path(log_dir) / f"{name}.log"
        self._handle = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [str(arg) for arg in args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def exited(self):
        return self.popen.poll() is not None

    def text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def terminate(self):
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)

    def stop(self):
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait()
        # Leftovers of the group (a gunicorn worker whose master died first).
        self._signal(signal.SIGKILL)
        self._handle.close()

    def _signal(self, signum):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)


def _tail(text, lines=60):
    return "\n".join(text.splitlines()[-lines:])


# The stack -------------------------------------------------------------------------------------


class Stack:
    def __init__(
        self,
        *,
        web=1,
        web_workers=2,
        task_workers=1,
        seed=None,
        seed_args=(),
        env=None,
        postgres=None,
        redis=None,
        name="stack",
        gunicorn_args=(),
        seed_seconds=600,
    ):
        self.web, self.web_workers, self.task_workers = web, web_workers, task_workers
        self.seed, self.seed_args = seed, tuple(seed_args)
        self.extra_env = dict(env or {})
        self.server = server_url(postgres)
        self.redis_url = redis or os.environ.get("STACK_REDIS_URL", DEFAULT_REDIS)
        self.gunicorn_args = tuple(gunicorn_args)
        self.seed_seconds = seed_seconds
        self.timings = {}
        self.run_id = f"{name}_{os.getpid()}_{secrets.token_hex(4)}".lower()
        self.database = self.run_id
        self.database_url = database_url(self.server, self.database)
        self.key_prefix = f"{self.run_id}"
        self.webhook_secret = f"whsec_{secrets.token_hex(16)}"
        self.admin_password = secrets.token_urlsafe(16)
        self.urls, self.url, self.seeded, self.env = [], None, None, {}
        self.localstripe, self.smtp = None, None
        self.processes = []
        self.log_dir = None
        self._database_created = False
        self._stopped = False
        self._previous_sigterm = None

    # Starting ----------------------------------------------------------------------------------

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None and not issubclass(exc_type, (SystemExit, KeyboardInterrupt)):
            self.print_logs(f"the stack's logs ({exc_type.__name__} in the code that used it)")
        self.stop()

    def start(self):
        atexit.register(self.stop)
        # A plain SIGTERM would end this process without stopping the stack's, which live in
        # sessions of their own: turned into SystemExit, it runs the cleanup like Ctrl-C does.
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
            signal.SIG_DFL,
            None,
        ):
            self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"{self.run_id}-"))
        try:
            self._start()
        except BaseException as failure:
            self.print_logs(f"the stack did not start: {failure}")
            self.stop()
            raise
        return self

    def _start(self):
        began = time.monotonic()
        deadline = began + STARTUP_SECONDS
        self.smtp = SmtpSink().start()
        stripe_port = free_port()
        self.env = self._environment(stripe_port)
        stripe = self._spawn(
            "localstripe", [sys.executable, "-c", LOCALSTRIPE_IN_MEMORY, "--port", stripe_port, "--from-scratch"]
        )
        self.localstripe = LocalStripe(stripe.popen, stripe_port, str(stripe.log))
        self.localstripe.delivering_to_a_server = False
        collectstatic = self._spawn("collectstatic", [sys.executable, "manage.py", "collectstatic", "--noinput"])
        self._create_database()
        self.timings["database"] = time.monotonic() - began
        self._finish(collectstatic, deadline)
        self._wait_for_http(stripe, f"{self.localstripe.url}/v1/customers", deadline, auth=("sk_test_localstripe", ""))
        ready = time.monotonic()

        # The database is migrated and Stripe answers: everything else at once.
        setup = self._spawn(
            "setup", [sys.executable, "-m", "tests.stack", "setup", self.seed or "", *self._json(self.seed_args)]
        )
        webs = []
        for number in range(self.web):
            port = free_port()
            webs.append(
                (
                    self._spawn(
                        f"web{number + 1}",
                        [
                            sys.executable, "-m", "gunicorn", "site_config.wsgi",
                            "--bind", f"127.0.0.1:{port}",
                            "--workers", self.web_workers,
                            "--graceful-timeout", STOP_SECONDS - 2,
                            "--timeout", 120,
                            *self.gunicorn_args,
                        ],
                    ),
                    f"http://127.0.0.1:{port}",
                )
            )  # fmt: skip
        workers = [
            self._spawn(
                f"worker{number + 1}",
                [
                    sys.executable, "manage.py", "db_worker",
                    "--interval", "0.1", "--no-startup-delay", "--worker-id", f"{self.run_id}-{number + 1}",
                ],
            )
            for number in range(self.task_workers)
        ]  # fmt: skip
        for process, url in webs:
            self._wait_for_http(process, f"{url}/admin/login/", deadline)
        self.timings["web"] = time.monotonic() - ready
        self.urls = [url for _process, url in webs]
        self.url = self.urls[0] if self.urls else None
        for worker in workers:
            self._wait_for_log(worker, "Starting worker", deadline)
        self._finish(setup, max(deadline, ready + self.seed_seconds))
        self.timings["setup"] = time.monotonic() - ready
        self.seeded = json.loads((self.log_dir / "setup.json").read_text())
        self.timings["start"] = time.monotonic() - began

    def _environment(self, stripe_port):
        env = {name: value for name, value in os.environ.items() if name not in DROPPED_ENV}
        env = {name: value for name, value in env.items() if not name.startswith(("STRIPE_", "LOCALSTRIPE_"))}
        stripe_url = f"http://127.0.0.1:{stripe_port}"
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "site_config.settings.production",
                "PYTHONUNBUFFERED": "1",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost,.localhost,.test",
                "DATABASE_URL": self.database_url,
                "DB_CONN_MAX_AGE": "60",
                "SECURE_SSL_REDIRECT": "0",
                "CACHE_BACKEND": "django.core.cache.backends.redis.RedisCache",
                "CACHE_LOCATION": self.redis_url,
                "CACHE_KEY_PREFIX": self.key_prefix,
                # Stripe's test mode, served by localstripe: production refuses localstripe's public
                # webhook secret, so the stack has a secret of its own.
                "STRIPE_SECRET_KEY": "sk_test_localstripe",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
                "STRIPE_API_BASE": stripe_url,
                "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
                "LOCALSTRIPE_URL": stripe_url,
                "EMAIL_BACKEND": "tests.smtp_sink.SinkEmailBackend",
                "STACK_SMTP_PORT": str(self.smtp.port),
                "DEFAULT_FROM_EMAIL": "billing@example.com",
                "STATIC_ROOT": str(self.log_dir / "static"),
                "MEDIA_ROOT": str(self.log_dir / "media"),
                "INVOICING_EXPORTS_ROOT": str(self.log_dir / "exports"),
                "WAGTAILADMIN_BASE_URL": "http://localhost",
                "STACK_ADMIN_PASSWORD": self.admin_password,
                "DEMO_ADMIN_PASSWORD": self.admin_password,  # seed_demo sets the admin's password too
                "STACK_RESULT": str(self.log_dir / "setup.json"),
            }
        )
        env.update(self.extra_env)
        return env

    @staticmethod
    def _json(args):
        return [json.dumps(list(args))] if args else []

    def _spawn(self, name, args, *, cwd=REPO, env=None):
        process = Process(name, args, env=env or self.env, log_dir=self.log_dir, cwd=cwd)
        self.processes.append(process)
        return process

    def _finish(self, process, deadline):
        while process.popen.poll() is None:
            if time.monotonic() > deadline:
                raise StackFailed(f"{process.name} did not finish in time")
            time.sleep(0.05)
        if process.popen.returncode:
            raise StackFailed(f"{process.name} exited with {process.popen.returncode}:\n{_tail(process.text())}")

    def _wait_for_http(self, process, url, deadline, auth=None):
        while time.monotonic() < deadline:
            if process.exited():
                raise StackFailed(f"{process.name} exited with {process.popen.returncode}:\n{_tail(process.text())}")
            try:
                response = requests.get(url, timeout=2, auth=auth, allow_redirects=False)
            except requests.RequestException:
                time.sleep(0.1)
                continue
            if response.status_code != 200:
                raise StackFailed(f"{process.name}: GET {url} answered {response.status_code}")
            return
        raise StackFailed(f"{process.name} did not answer at {url} in time")

    def _wait_for_log(self, process, text, deadline):
        while text not in process.text():
            if process.exited():
                raise StackFailed(f"{process.name} exited with {process.popen.returncode}:\n{_tail(process.text())}")
            if time.monotonic() > deadline:
                raise StackFailed(f"{process.name} did not log {text!r} in time")
            time.sleep(0.05)

    def _create_database(self):
        def migrate(url):
            process = self._spawn(
                "migrate", [sys.executable, "manage.py", "migrate", "--noinput"], env={**self.env, "DATABASE_URL": url}
            )
            self._finish(process, time.monotonic() + STARTUP_SECONDS)

        try:
            create_migrated_database(self.server, self.database, migrate=migrate)
        except PostgresFailed as failure:
            raise StackFailed(str(failure)) from failure
        self._database_created = True

    # Using -------------------------------------------------------------------------------------

    def call(self, target, *args, timeout=300):
        """``target`` (``"module:function"``) called with ``args`` in a new Django process of the
        stack, against its database; returns what it returned (both through JSON)."""
        result = self.log_dir / f"call-{secrets.token_hex(4)}.json"
        completed = subprocess.run(
            [sys.executable, "-m", "tests.stack", "call", target, json.dumps(list(args))],
            cwd=REPO,
            env={**self.env, "STACK_RESULT": str(result)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if completed.returncode:
            raise StackFailed(f"{target} failed:\n{completed.stdout}{completed.stderr}")
        value = json.loads(result.read_text())
        result.unlink()
        return value

    def manage(self, *args, timeout=300):
        completed = subprocess.run(
            [sys.executable, "manage.py", *map(str, args)],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if completed.returncode:
            raise StackFailed(f"manage.py {' '.join(map(str, args))} failed:\n{completed.stdout}{completed.stderr}")
        return completed.stdout

    def admin_session(self, url=None):
        """A ``requests.Session`` logged in to the admin of ``url`` (default: the first instance)
        as the superuser ``admin``. Its ``csrf_token`` is what a form posts."""
        url = url or self.url
        session = PlainHttpSession()
        login = f"{url}/admin/login/"
        session.get(login, timeout=10).raise_for_status()
        response = session.post(
            login,
            data={
                "username": ADMIN_USERNAME,
                "password": self.admin_password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/admin/",
            },
            timeout=10,
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise StackFailed(f"the admin login answered {response.status_code}")
        session.csrf_token = session.cookies["csrftoken"]
        return session

    def logs(self):
        return {process.name: process.text() for process in self.processes}

    def print_logs(self, title, lines=40):
        print(f"\n===== {title} =====", file=sys.stderr)
        for process in self.processes:
            print(f"----- {process.name} ({process.log}) -----\n{_tail(process.text(), lines)}", file=sys.stderr)

    # Stopping ----------------------------------------------------------------------------------

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        if self._previous_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous_sigterm)
        started = time.monotonic()
        # All at once (each may take a few seconds to finish its request or task), and all before
        # the database is dropped.
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.stop()
        if self.smtp is not None:
            self.smtp.stop()
        if self._database_created:
            drop_database(self.server, self.database)
        self._delete_cache_keys()
        self.timings["stop"] = time.monotonic() - started
        if self.log_dir is not None:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def _delete_cache_keys(self):
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
            keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
            client.close()
        except Exception as error:  # noqa: BLE001 - the keys expire anyway; say so and go on
            print(f"stack: could not delete the Redis keys {self.key_prefix}:*: {error}", file=sys.stderr)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


class PlainHttpSession(requests.Session):
    """Production marks its cookies Secure; the stack's servers speak plain HTTP on loopback, so
    the session sends them anyway."""

    def prepare_request(self, request):
        for cookie in self.cookies:
            cookie.secure = False
        return super().prepare_request(request)


# In the stack's own Django processes -----------------------------------------------------------


def _django():
    import django

    django.setup()


def _call_target(target, args):
    module, _sep, function = target.partition(":")
    return getattr(importlib.import_module(module), function)(*args)


def _write_result(value):
    Path(os.environ["STACK_RESULT"]).write_text(json.dumps(value))


def _setup(seed, args):
    """The superuser ``admin``, then the seed: nothing, the demo, or a function."""
    _django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    get_user_model().objects.create_superuser(ADMIN_USERNAME, "admin@example.com", os.environ["STACK_ADMIN_PASSWORD"])
    seeded = None
    if seed == "demo":
        call_command("seed_demo")
    elif seed:
        seeded = _call_target(seed, args)
    _write_result(seeded)


def _serve_until_interrupted():
    with Stack(seed="demo", web=1, task_workers=1) as stack:
        print(f"Stack up: {stack.url}/admin/ (admin / {stack.admin_password}); Stripe {stack.localstripe.url}")
        print(f"Database {stack.database_url}; SMTP sink on port {stack.smtp.port}. Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
                print(f"\r{stack.smtp.count()} emails received", end="", flush=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    arguments = json.loads(sys.argv[3]) if len(sys.argv) > 3 else []
    if command == "setup":
        _setup(sys.argv[2], arguments)
    elif command == "call":
        _django()
        _write_result(_call_target(sys.argv[2], arguments))
    else:
        _serve_until_interrupted()
