"""Real concurrency for the PostgreSQL tests: SQLite and TestCase hide a missing row lock."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_together(function, arguments):
    """Call ``function`` once per argument, each in its own thread and database connection, all
    released at the same instant; return the results, with exceptions in place of results."""
    barrier = threading.Barrier(len(arguments))

    def call(argument):
        try:
            barrier.wait()
            return function(argument)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(call, arguments))
