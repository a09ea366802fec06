"""Fast settings for the test suite: cheap password hashing, plain static storage."""

import os
import tempfile

# config.settings refuses to start without SECRET_KEY; the tests (and the processes they start)
# use a key of their own, never one that production could be given by mistake.
os.environ.setdefault("SECRET_KEY", "chuangwei-tests-only-not-secret")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# In memory: each test process its own, emptied before every test (conftest.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Serve static files straight from the finders, so tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory: the browser tests' live server answers from other threads, each with
    # its own connection, as in production. One file per test process, so parallel runs never
    # share one; the default rollback journal leaves no side files behind.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"chuangwei-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}  # noqa: F405

# Tests move the frozen clock by days with people signed in: the idle and absolute timeouts are
# off here and switched on by the tests of timeouts (accounts/tests/test_sessions.py).
SESSION_IDLE_TIMEOUT = None
SESSION_ABSOLUTE_TIMEOUT = None

# A connection per request, as before persistent connections became the PostgreSQL default: the
# tests' threads (concurrent steps, the live server) would otherwise keep theirs open past the
# test, and the test database could not be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
