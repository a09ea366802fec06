"""Benchmarks' shared piece: a throw-away database beside the configured one."""

import contextlib
import os
import tempfile

from django.db import connection


@contextlib.contextmanager
def throwaway_database():
    """A fresh database beside the configured one (a temporary SQLite file, or test_<name> on
    PostgreSQL), migrated, dropped afterwards. Yields its settings (NAME is the new database)."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    with tempfile.TemporaryDirectory() as folder:
        if connection.vendor == "sqlite":
            connection.settings_dict.setdefault("TEST", {})["NAME"] = os.path.join(folder, "bench.sqlite3")
        creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield connection.settings_dict
        finally:
            creation.destroy_test_db(old_name, verbosity=0)


def database_url(settings_dict: dict, vendor: str) -> str:
    """The DATABASE_URL of a connection's database, for processes started beside this one."""
    if vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else "")
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"
