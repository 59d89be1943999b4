"""Throwaway PostgreSQL databases for ``tests/stack.py``: each a copy of a migrated template,
made once per set of migrations and installed packages (``migrate`` from scratch takes about 17 s
on a 2-core machine; ``createdb -T``, under a second). Through the command-line tools (``createdb``,
``dropdb``, ``psql``) on a server given as ``postgres://user@host:port/``."""

import hashlib
import importlib.metadata
import os
import secrets
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://root@127.0.0.1:5432/"


class PostgresFailed(RuntimeError):
    pass


def server_url(postgres=None):
    """``postgres``; else ``STACK_POSTGRES_URL``; else the server of a PostgreSQL ``DATABASE_URL``;
    else ``DEFAULT_SERVER``."""
    if postgres:
        return postgres
    if os.environ.get("STACK_POSTGRES_URL"):
        return os.environ["STACK_POSTGRES_URL"]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        return f"{parts.scheme}://{parts.netloc}/"
    return DEFAULT_SERVER


def database_url(server, name):
    return f"{server.rstrip('/')}/{name}"


def _pg_env(server):
    parts = urlsplit(server)
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1", "PGPORT": str(parts.port or 5432)}
    if parts.username:
        env["PGUSER"] = parts.username
    if parts.password:
        env["PGPASSWORD"] = parts.password
    env.pop("PGDATABASE", None)
    return env


def pg(server, *args, check=True):
    """A PostgreSQL command-line tool against ``server``."""
    result = subprocess.run(
        [str(arg) for arg in args], env=_pg_env(server), capture_output=True, text=True, timeout=120
    )
    if check and result.returncode:
        raise PostgresFailed(f"{' '.join(map(str, args))} failed: {result.stderr.strip()}")
    return result


def migrations_fingerprint():
    """What the schema after ``migrate`` depends on: our migration files and the installed packages."""
    digest = hashlib.sha256()
    for path in sorted(REPO.glob("*/migrations/*.py")):
        digest.update(f"{path.relative_to(REPO)}\0".encode())
        digest.update(path.read_bytes())
    packages = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions())
    digest.update("\n".join(packages).encode())
    return digest.hexdigest()[:16]


def create_migrated_database(server, name, *, migrate):
    """Database ``name``, migrated: a copy of the template, which is built first if there is none
    yet, by ``migrate(database_url)`` (which raises if it fails)."""
    template = f"stack_template_{migrations_fingerprint()}"
    built = False
    for attempt in range(20):
        created = pg(server, "createdb", "-T", template, name, check=False)
        if created.returncode == 0:
            return
        if "does not exist" in created.stderr and not built:
            _build_template(server, template, migrate)
            built = True
            continue
        # Refused while another session is connected to the template (a concurrent copy).
        time.sleep(0.2 + attempt * 0.1)
    raise PostgresFailed(f"createdb -T {template} {name} failed: {created.stderr.strip()}")


def _build_template(server, template, migrate):
    building = f"{template}_{secrets.token_hex(3)}"
    pg(server, "createdb", building)
    try:
        migrate(database_url(server, building))
    except BaseException:
        pg(server, "dropdb", "--if-exists", "--force", building, check=False)
        raise
    # Whoever renames first publishes the template; a concurrent builder drops its own.
    renamed = pg(server, "psql", "-d", "postgres", "-c", f"ALTER DATABASE {building} RENAME TO {template}", check=False)
    if renamed.returncode:
        pg(server, "dropdb", "--if-exists", building, check=False)


def drop_database(server, name):
    """Drop ``name``, whoever is still connected to it."""
    pg(server, "dropdb", "--if-exists", "--force", name, check=False)
