"""The module installed from its wheel into a fresh ``wagtail start`` project, by the README alone.

    python tests/install/run.py --python python3.12 --django "Django>=6.1,<6.2"   (or: make test-install)

In a temporary directory: build the wheel and sdist (and check that they hold the module only), make
a new virtualenv with ``--python``, install Wagtail 8 and ``--django`` in it, ``wagtail start
mysite``, then apply the code blocks of the README's "Add invoicing to your Wagtail project"
section word for word (see ``readme_steps``): nothing of ours is copied into the project, and no
setting is added. Then ``manage.py check``, ``migrate``, ``makemigrations --check``, and, with
localstripe (in a virtualenv of its own) and ``runserver`` on 127.0.0.1, the HTTP smoke test
``smoke.py`` run by the project's own Python. Prints each step's time and the total; exits non-zero
at the first failure, keeping the directory for a look (``--keep`` keeps it anyway).

Runs with any Python 3.11+ that has ``build`` (the repository's .venv has it: requirements-dev.txt).
Only the standard library here; the smoke test uses ``requests``, which Wagtail brings.
"""

import argparse
import contextlib
import importlib.util
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SECTION = "## Add invoicing to your Wagtail project"
PROJECT = "mysite"
WAGTAIL_SPEC = "wagtail>=8.0,<9"
LOCALSTRIPE_SPEC = "localstripe==1.15.10"
# Where the module looks for localstripe with DEBUG on and no Stripe key (invoicing/conf.py): the
# test adds no setting, so localstripe must listen there.
LOCALSTRIPE_PORT = 8420
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe"  # noqa: S105 - localstripe's, the module's default
WEBHOOK_PATH = "/api/v1/order-payments/webhooks/stripe/"
# Environment variables of the developer's shell or of CI that would change what a site owner gets.
DROPPED_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "VIRTUAL_ENV",
    "VENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PIP_REQUIRE_VIRTUALENV",
)

timings = []
started = time.monotonic()


class Failed(Exception):
    pass


@contextlib.contextmanager
def step(name):
    print(f"\n==> {name}", flush=True)
    began = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - began
        timings.append((name, elapsed))
        print(f"    [{elapsed:.1f}s] {name}", flush=True)


def run(args, *, cwd, env, capture=False):
    """A command; its output goes to ours unless captured. A non-zero exit fails the test."""
    shown = args if isinstance(args, str) else shlex.join(str(arg) for arg in args)
    print(f"$ {shown}", flush=True)
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        check=False,
    )
    if result.returncode != 0:
        if capture:
            print(result.stdout)
        raise Failed(f"exit status {result.returncode}: {shown}")
    return result.stdout if capture else None


# The README, made executable ------------------------------------------------------------------

LEAD_INS = [
    ("run", re.compile(r"\bRun:$")),
    ("append", re.compile(r"\bAppend to `([^`]+)`:$")),
    ("insert", re.compile(r"\bIn `([^`]+)`, add (?:this line|these lines) before `([^`]+)`:$")),
]


def readme_steps(text):
    """The code blocks of the README's install section, up to its first ``###`` heading, each as
    (action, block, arguments), with the action read from the end of the paragraph just before it:

    - "... Run:" then a ``sh`` block: its commands, run in the project directory in the new virtualenv;
    - "... Append to `FILE`:" then a block: added to the end of FILE (relative to the project);
    - "... In `FILE`, add this line before `LINE`:" then a block: inserted above the one line of FILE
      that reads LINE (indentation aside).

    A block after any other line is an error: every block of the section is applied, none skipped."""
    lines = text.splitlines()
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise Failed(f"README.md has no line {SECTION!r}") from None
    steps, lead_in, paragraph_ended, index = [], "", True, start + 1
    while index < len(lines):
        line = lines[index]
        if line.startswith("## ") or line.startswith("### "):
            break
        fence = re.match(r"^(\s*)```", line)
        if not fence:
            # The lead-in is the paragraph just before the block, its lines joined.
            if not line.strip():
                paragraph_ended = True
            elif paragraph_ended:
                lead_in, paragraph_ended = line.strip(), False
            else:
                lead_in += " " + line.strip()
            index += 1
            continue
        indent, block = len(fence.group(1)), []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith("```"):
            block.append(lines[index][indent:] if lines[index][:indent].strip() == "" else lines[index])
            index += 1
        index += 1  # the closing fence
        for action, pattern in LEAD_INS:
            match = pattern.search(lead_in)
            if match:
                steps.append((action, "\n".join(block) + "\n", match.groups()))
                break
        else:
            raise Failed(
                f"README.md, {SECTION!r}: the code block after {lead_in!r} says neither 'Run:' nor "
                "'Append to `FILE`:' nor 'In `FILE`, add this line before `LINE`:'"
            )
        lead_in, paragraph_ended = "", True
    if not steps:
        raise Failed(f"README.md, {SECTION!r}: no code blocks")
    return steps


def apply_step(action, block, arguments, *, project, env):
    if action == "run":
        run(["bash", "-euo", "pipefail", "-c", block], cwd=project, env=env)
        return
    path = project / arguments[0]
    if not path.is_file():
        raise Failed(f"README.md names {arguments[0]}, which `wagtail start {PROJECT}` did not make")
    text = path.read_text()
    if action == "append":
        print(f"(appended to {arguments[0]})\n{block}", flush=True)
        path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n" + block)
        return
    anchor = arguments[1].strip()
    lines = text.splitlines(keepends=True)
    matches = [number for number, line in enumerate(lines) if line.strip() == anchor]
    if len(matches) != 1:
        raise Failed(f"{arguments[0]} has {len(matches)} lines reading {anchor!r}; the README expects one")
    print(f"(inserted into {arguments[0]} before {anchor})\n{block}", flush=True)
    lines.insert(matches[0], block)
    path.write_text("".join(lines))


# Packaging --------------------------------------------------------------------------------------

# The only top-level entries allowed in the sdist besides the module (setuptools adds the egg-info,
# PKG-INFO and setup.cfg itself).
SDIST_EXTRAS = {"PKG-INFO", "README.md", "pyproject.toml", "setup.cfg", "wagtail_invoicing.egg-info"}


def check_distributions(dist):
    wheel = next(dist.glob("*.whl"))
    sdist = next(dist.glob("*.tar.gz"))
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        names = archive.namelist()
    stray = {top for top in tops if top != "invoicing" and not top.endswith(".dist-info")}
    if stray:
        raise Failed(f"{wheel.name} holds more than the module: {sorted(stray)}")
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    root = members[0].split("/")[0]
    sdist_tops = {name.split("/")[1] for name in members if name.count("/") >= 1 and name.split("/")[1]}
    stray = sdist_tops - SDIST_EXTRAS - {"invoicing"}
    if stray:
        raise Failed(f"{sdist.name} holds more than the module: {sorted(stray)}")
    # Data files of each kind, wherever the module keeps them.
    for needed in (
        "/fonts/DejaVuSans.ttf",
        "/fonts/LICENSE-DejaVu.txt",
        "/static/invoicing/pay.js",
        "/templates/invoicing/pay/base.html",
        "/migrations/0001_initial.py",
    ):
        if not any(name.startswith("invoicing/") and name.endswith(needed) for name in names):
            raise Failed(f"{wheel.name} lacks invoicing/...{needed}")
        if not any(name.startswith(f"{root}/invoicing/") and name.endswith(needed) for name in members):
            raise Failed(f"{sdist.name} lacks invoicing/...{needed}")
    if any("__pycache__" in name or name.endswith(".pyc") for name in names + members):
        raise Failed("a distribution holds compiled Python files")
    print(f"{wheel.name}: {len(names)} files; {sdist.name}: {len(members)} entries; only invoicing/")
    return wheel


# Servers ----------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port, process, log, *, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"the server exited with {process.returncode}:\n{Path(log).read_text()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise Failed(f"nothing listened on 127.0.0.1:{port} within {seconds} s; see {log}")


class Servers:
    """Background processes we started, each in its own session; stopped by their own ids."""

    def __init__(self):
        self.processes = []

    def start(self, args, *, cwd, env, log):
        handle = open(log, "w")  # noqa: SIM115 - closed when the process stops
        process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((process, handle))
        return process

    def stop(self):
        for process, handle in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            handle.close()
        self.processes = []


# The test ---------------------------------------------------------------------------------------


def clean_env():
    env = {name: value for name, value in os.environ.items() if name not in DROPPED_ENV}
    return {name: value for name, value in env.items() if not name.startswith(("STRIPE_", "LOCALSTRIPE_"))}


def in_venv(env, venv):
    """``env`` as after ``source venv/bin/activate``."""
    return {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3", help="the Python of the new virtualenv (3.11+)")
    parser.add_argument("--django", default="Django>=5.2,<5.3", help="the Django requirement, e.g. 'Django>=6.1,<6.2'")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()

    python = shutil.which(options.python) or options.python
    if not Path(python).exists():
        raise Failed(f"no Python {options.python!r}")
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], capture_output=True, text=True
    ).stdout.strip()
    print(f"Install test: Python {version} ({python}), {options.django!r}, {WAGTAIL_SPEC!r}")
    if importlib.util.find_spec("build") is None:
        raise Failed(f"{sys.executable} has no `build` (pip install -r requirements-dev.txt, or make install)")
    if not port_is_free(LOCALSTRIPE_PORT):
        raise Failed(
            f"127.0.0.1:{LOCALSTRIPE_PORT} is taken (a `make run`?); localstripe must listen there, "
            "where the module looks for it without settings"
        )

    work = Path(tempfile.mkdtemp(prefix="invoicing-install-"))
    print(f"Working in {work}")
    env = clean_env()
    servers = Servers()
    passed = False
    try:
        dist, venv, stripe_venv, project = work / "dist", work / "venv", work / "localstripe-venv", work / PROJECT
        venv_env = in_venv(env, venv)
        # The Django asked for stays, whatever the README's `pip install` brings.
        constraints = work / "constraints.txt"
        constraints.write_text(f"{options.django}\n{WAGTAIL_SPEC}\n")
        venv_env["PIP_CONSTRAINT"] = str(constraints)
        venv_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

        # localstripe gets a virtualenv of its own, so that its dependencies cannot hide a missing one
        # of ours; it is made in the background meanwhile.
        stripe_log = work / "localstripe-install.log"
        stripe_install_began = time.monotonic()
        stripe_install = servers.start(
            [
                "bash",
                "-euo",
                "pipefail",
                "-c",
                f'"$0" -m venv "$1" && "$1/bin/pip" install --quiet --disable-pip-version-check {LOCALSTRIPE_SPEC}',
                python,
                str(stripe_venv),
            ],
            cwd=work,
            env=env,
            log=stripe_log,
        )

        with step("Build the wheel and the sdist (python -m build), check their contents"):
            run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], cwd=work, env=env)
            wheel = check_distributions(dist)

        with step(f"New virtualenv; pip install {WAGTAIL_SPEC!r} {options.django!r}"):
            run([python, "-m", "venv", str(venv)], cwd=work, env=env)
            run([venv / "bin" / "pip", "install", "--quiet", WAGTAIL_SPEC, options.django], cwd=work, env=venv_env)

        with step(f"wagtail start {PROJECT}"):
            run([venv / "bin" / "wagtail", "start", PROJECT], cwd=work, env=venv_env)
            # The README's `pip install` takes the wheel from the project directory.
            shutil.copy(wheel, project / wheel.name)

        steps = readme_steps(README.read_text())
        for number, (action, block, arguments) in enumerate(steps, 1):
            summary = block.strip().splitlines()[0] if action == "run" else f"{action} {arguments[0]}"
            with step(f"README block {number}/{len(steps)}: {summary}"):
                apply_step(action, block, arguments, project=project, env=venv_env)

        versions = run([venv / "bin" / "pip", "list", "--format=freeze"], cwd=work, env=venv_env, capture=True)
        wanted = ("django", "wagtail", "wagtail-invoicing", "stripe", "djangorestframework", "drf-spectacular")
        print("Installed:", ", ".join(line for line in versions.split() if line.split("==")[0].lower() in wanted))

        manage = [venv / "bin" / "python", "manage.py"]
        with step("manage.py check"):
            run([*manage, "check"], cwd=project, env=venv_env)
        with step("manage.py migrate (again: nothing to do)"):
            run([*manage, "migrate", "--noinput"], cwd=project, env=venv_env)
        with step("manage.py makemigrations --check (no changes)"):
            run([*manage, "makemigrations", "--check", "--dry-run"], cwd=project, env=venv_env)
        with step("manage.py invoicing_setup_site localhost (again: idempotent)"):
            again = run([*manage, "invoicing_setup_site", "localhost"], cwd=project, env=venv_env, capture=True)
            print(again, end="")
            if "Created" in again:
                raise Failed("invoicing_setup_site created pages again")

        password = secrets.token_urlsafe(16)
        with step("A superuser and an API token (manage.py invoicing_api_token)"):
            run(
                [*manage, "createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com"],
                cwd=project,
                env={**venv_env, "DJANGO_SUPERUSER_PASSWORD": password},
            )
            token = run([*manage, "invoicing_api_token", "admin"], cwd=project, env=venv_env, capture=True)
            token = token.strip().splitlines()[-1]

        with step(f"localstripe's own virtualenv ({LOCALSTRIPE_SPEC}; made in the background)"):
            if stripe_install.wait() != 0:
                raise Failed(f"localstripe's install failed:\n{stripe_log.read_text()}")
            print(f"ready {time.monotonic() - stripe_install_began:.1f}s after it began")

        site_port = free_port()
        with step(f"Start localstripe (127.0.0.1:{LOCALSTRIPE_PORT}) and runserver (127.0.0.1:{site_port})"):
            localstripe = servers.start(
                [stripe_venv / "bin" / "localstripe", "--port", str(LOCALSTRIPE_PORT), "--from-scratch"],
                cwd=work,
                env=env,
                log=work / "localstripe.log",
            )
            site = servers.start(
                [venv / "bin" / "python", "manage.py", "runserver", "--noreload", f"127.0.0.1:{site_port}"],
                cwd=project,
                env=venv_env,
                log=work / "runserver.log",
            )
            wait_for_port(LOCALSTRIPE_PORT, localstripe, work / "localstripe.log")
            wait_for_port(site_port, site, work / "runserver.log")

        with step("HTTP smoke test (tests/install/smoke.py, in the new virtualenv)"):
            run(
                [venv / "bin" / "python", Path(__file__).with_name("smoke.py")],
                cwd=work,
                env={
                    **venv_env,
                    "SMOKE_SITE": f"http://127.0.0.1:{site_port}",
                    "SMOKE_LOCALSTRIPE": f"http://127.0.0.1:{LOCALSTRIPE_PORT}",
                    "SMOKE_WEBHOOK_SECRET": LOCALSTRIPE_WEBHOOK_SECRET,
                    "SMOKE_WEBHOOK_PATH": WEBHOOK_PATH,
                    "SMOKE_USERNAME": "admin",
                    "SMOKE_PASSWORD": password,
                    "SMOKE_TOKEN": token,
                },
            )
        passed = True
    finally:
        servers.stop()
        print("\nTimings:")
        for name, elapsed in timings:
            print(f"  {elapsed:6.1f}s  {name}")
        print(f"  {time.monotonic() - started:6.1f}s  total")
        if passed and not options.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"Kept {work} (localstripe.log, runserver.log, {PROJECT}/)")
    print(f"\nInstall test passed: Python {version}, {options.django}.")


if __name__ == "__main__":
    try:
        main()
    except Failed as failure:
        print(f"\nInstall test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
