"""Settings for chuangwei. Everything that differs between a laptop and production comes from
the environment (see README, "Configuration"); nothing here needs editing to deploy."""

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_required,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CHUANGWEI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# No default: a key written here would be public, and sessions, password resets and CSRF tokens
# could be forged with it. `make run` and the tests set a local key of their own.
SECRET_KEY = env_required(
    "SECRET_KEY",
    "a long random string, e.g. from python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    " (`make run` sets a local one for trying the app out)",
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "csp",
    "django.contrib.staticfiles",
    # Signing in: lockout after failed attempts, the TOTP second factor and its recovery codes.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Background work: Django's tasks API (django_tasks) and its database queue (django_tasks_db).
    "django_tasks",
    "django_tasks_db",
    "core",
    "organisation",
    "accounts",
    "standard",
    "sites",
    "campaigns",
    "problems",
    "inspections",
    "exchange",
    "bulletins",
    "dossier",
    "notifications",
    # The public side: the portal, citizen reports (随手拍) and the office's triage of them.
    "public",
    "oversight",
    # Above the domain apps: the demo district and the cross-app audit read and write them all.
    "demo",
    "audit",
]

MIDDLEWARE = [
    # First: X-Forwarded-* from anyone but a trusted proxy is dropped before anything reads it.
    "core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may fail below it, so that an error under /api/ still answers JSON.
    "config.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the language switch's cookie says otherwise; Accept-Language is ignored.
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # NUL in a URL: 404 or 400 before any view queries with it (its error page knows the person).
    "core.middleware.NulRefusedMiddleware",
    # Before anything reads the body (CSRF reads the form in process_view), after the person is
    # known, so that the refusal is a page with the navigation.
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.RefusalLogMiddleware",
    "access.middleware.AdministratorBoundaryMiddleware",
    # Below whitenoise, which answers static files itself: they keep their long cache.
    "core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Signing in (accounts/middleware.py): the second factor on the session, idle and absolute
    # timeouts, the steps a sign-in still owes; axes turns a lockout into its page.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SignInMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Which URL sets this process serves (README, "The public side"): "public" (the portal and citizen
# reports, for an internet-facing process), "staff" (everything else, for the intranet), or both
# (the default, `make run`). A process serving only "public" has no staff URL at all, so a
# misconfigured proxy cannot reach a staff page through it: it answers 404.
URL_SETS = sorted(set(env_list("URL_SETS", ["public", "staff"])))
if not URL_SETS or not set(URL_SETS) <= {"public", "staff"}:
    raise ImproperlyConfigured(f"URL_SETS must be public, staff or public,staff, not {URL_SETS!r}")


def root_urlconf_for(url_sets) -> str:
    """The URLconf module of a choice of URL sets: one module per choice, so nothing is decided
    per request and a staff pattern is simply absent from the public one."""
    return {("public",): "config.urls_public", ("staff",): "config.urls_staff"}.get(tuple(url_sets), "config.urls")


ROOT_URLCONF = root_urlconf_for(URL_SETS)
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.actor",
                "notifications.context_processors.unread",
                "inspections.context_processors.offline",
            ],
        },
    },
]
# Selects written in Python rather than a template per option (core/renderers.py: the filter
# bars' long lists were most of the problem list's CPU).
FORM_RENDERER = "core.renderers.FormRenderer"

DATABASES = {"default": parse_database_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'chuangwei.sqlite3'}"))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers go on while one writer writes; the timeout makes a second writer wait
    # for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith("postgresql")
if _POSTGRESQL:
    # The pages' queries are short: compiling one with JIT (PostgreSQL's default above a cost)
    # took 170-200 ms of the overview's count at a million problems and saved less (issue 14).
    # Set per connection so that it holds whatever postgresql.conf says; an `options` given in
    # DATABASE_URL's query string replaces it.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
# Persistent connections on PostgreSQL: a new connection per request cost a backend start and
# its empty catalogue caches (planning a page's first joins again: ~5-10 ms a request, issue 14).
# Checked before reuse, so a restarted database costs one failed reuse, not an error page.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60 if _POSTGRESQL else 0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- signing in (docs/ARCHITECTURE.md, "Signing in"; README, "Configuration") ----------------
# The password rules (等保 asks for complexity and periodic change).
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)
# Of lower case, upper case, digits and symbols, how many a password must mix.
PASSWORD_CHARACTER_CLASSES = int(env_choice("PASSWORD_CHARACTER_CLASSES", "3", ["1", "2", "3", "4"]))
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5, minimum=0)  # the last N passwords may not come back
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0: passwords never expire
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": PASSWORD_CHARACTER_CLASSES}},
    {"NAME": "accounts.passwords.NotContainingUsernameValidator"},
    {"NAME": "accounts.passwords.NotSharedPasswordValidator"},
    {"NAME": "accounts.passwords.HistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY}},
]
# `make run` sets DEMO_MODE: the demo's published password may stay and the second factor is
# offered to everyone but required of nobody. Never set it in production (check --deploy warns).
DEMO_MODE = env_bool("DEMO_MODE", False)
# Lockout (django-axes, accounts/lockout.py): failures per account and per address within the
# lockout window; a locked account or address is refused until the window has passed since the
# last failure, or the security administrator unlocks it (0 minutes: only the administrator).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 20, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=0)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = 1  # LockoutHandler.get_failures answers 1 when either limit above is reached
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES) if LOGIN_LOCKOUT_MINUTES else None
AXES_RESET_ON_SUCCESS = False  # the account's count is reset when the whole sign-in succeeds (views)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the security log (core.SecurityEvent)
AXES_ENABLE_ADMIN = False  # unlocking is the security administrator's screen, which logs it
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]  # masked in axes' rows and log lines
# Sessions: signed out after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after
# signing in whatever happens (accounts/middleware.py).
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30, minimum=1))
SESSION_ABSOLUTE_TIMEOUT = dt.timedelta(hours=env_int("SESSION_MAX_HOURS", 12, minimum=1))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
# The TOTP second factor (django-otp): the name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env_str("TOTP_ISSUER", "创卫督查")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm (package.json, pinned) and are served by the app itself:
# no CDN, because government intranets are isolated.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Figures kept until the next transition (problems.selectors.until_next_step) are shared by the
# server's processes through files: gunicorn runs several, and each counting a million problems
# for itself multiplied the overview's cold cost by their number (issue 14, `make bench --load`).
# Only those figures live here; losing the folder loses nothing.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("CACHE_DIR", str(VAR_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}
MEDIA_URL = "/media/"  # never served directly: files go through a view that checks access
STORAGES = {
    # Evidence files are fsynced under a temporary name and renamed into place before the row
    # that names them commits (core/storage.py).
    "default": {"BACKEND": "core.storage.DurableFileSystemStorage"},
    # Names with a hash of the content (app.3f2a9c.css): browsers keep them for a year and fetch
    # the new name after an upgrade; the phone's service worker changes version with them.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads: memory bounded whatever is sent (core.middleware.RequestSizeLimitMiddleware, README
# "Deployment": nginx's client_max_body_size is the same). A request declaring more than
# UPLOAD_MAX_REQUEST_MB is refused (413) before its body is read; files over 2 MB go to temporary
# files on disk while the request is read, and each file's size is checked before it is read
# (20 MB, core.services.MAX_FILE_BYTES). The form fields besides files stay in memory: 2.5 MB.
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_MB", 100, minimum=21) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 50  # a checklist's photos in one form, a few per failed checkpoint
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000  # a plan's or a checklist's fields, with room
# An Excel import runs inside the request until there is a worker: it stops after this many
# seconds with nothing written (exchange/reader.py), well within gunicorn's 120 s timeout.
IMPORT_TIME_BUDGET_SECONDS = env_int("IMPORT_TIME_BUDGET_SECONDS", 60, minimum=5)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Maps. Tiles come from a server the office configures (an intranet tile server, or none): with
# none, maps still show area boundaries and markers on a plain background. Coordinates are WGS-84.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
MAP_CENTER = [float(x) for x in env_list("MAP_CENTER", ["34.75", "113.65"])]
# The datum of the configured tiles: "wgs84" (OpenStreetMap-style, most intranet servers) or
# "gcj02" (AutoNavi, Tencent and tiles cut from them). Stored points stay WGS-84; maps shift them.
MAP_TILE_COORDINATES = env_choice("MAP_TILE_COORDINATES", "wgs84", ["wgs84", "gcj02"])
# A font with Chinese glyphs for the stamp on inspection photos; found automatically when empty.
WATERMARK_FONT = env_str("WATERMARK_FONT", "")

# Bulletins: the issuing office as printed in the red header and the 版记.
BULLETIN_ISSUER = env_str("BULLETIN_ISSUER", "示范区爱国卫生运动委员会办公室")
BULLETIN_ISSUER_SHORT = env_str("BULLETIN_ISSUER_SHORT", "示范区爱卫办")
# 主送机关 of a new bulletin (editable on each draft), and 抄送 of the 版记.
BULLETIN_ADDRESSEE = env_str("BULLETIN_ADDRESSEE", "各街道办事处，区直各有关单位：")
BULLETIN_COPY_TO = env_str("BULLETIN_COPY_TO", "区委办公室，区政府办公室，区爱卫会各成员单位。")

# The closed loop's tunable rules, kept here so that an office can change them without code.
REBOUND_WINDOW_DAYS = env_int("REBOUND_WINDOW_DAYS", 90, minimum=1)
# Rebound hotspots (docs/ARCHITECTURE.md, "Long-term management"): a site with at least
# HOTSPOT_REBOUNDS rebounds or HOTSPOT_PROBLEMS problems recorded in the last HOTSPOT_WINDOW_DAYS.
HOTSPOT_WINDOW_DAYS = env_int("HOTSPOT_WINDOW_DAYS", 180, minimum=1)
HOTSPOT_REBOUNDS = env_int("HOTSPOT_REBOUNDS", 2, minimum=1)
HOTSPOT_PROBLEMS = env_int("HOTSPOT_PROBLEMS", 5, minimum=1)

# ---- the public side (public/): citizen reports' bounds --------------------------------------
# How many reports one address may send an hour and one phone number a day; beyond, a refusal
# in Chinese. Counted in the cache shared by the server's processes (CACHES).
PUBLIC_REPORTS_PER_IP_HOUR = env_int("PUBLIC_REPORTS_PER_IP_HOUR", 5, minimum=1)
PUBLIC_REPORTS_PER_PHONE_DAY = env_int("PUBLIC_REPORTS_PER_PHONE_DAY", 3, minimum=1)
PUBLIC_REPORT_MAX_PHOTOS = env_int("PUBLIC_REPORT_MAX_PHOTOS", 3, minimum=1)
# Each photo of a report at most this many MB (the staff side allows 20).
PUBLIC_REPORT_PHOTO_MB = env_int("PUBLIC_REPORT_PHOTO_MB", 10, minimum=1)
# An open problem of the same criterion this close (metres, between the sites' coordinates) is a
# possible duplicate of one being recorded (problems.selectors.possible_duplicates).
DUPLICATE_DISTANCE_M = env_int("DUPLICATE_DISTANCE_M", 50, minimum=0)

# ---- Background work (docs/ARCHITECTURE.md, "The worker") ---------------------------------------
# Tasks are rows in our own database (django_tasks_db): enqueued in the transaction of the fact
# that causes them, so a task exists exactly when its cause committed. `manage.py worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# What the worker runs by the clock, in TIME_ZONE (Asia/Shanghai). Each job names a task and when:
# every N minutes, daily at a time, or weekly on a day (0 = Monday) at a time. core/schedule.py.
SCHEDULE = {
    "deliver": {"task": "notifications.tasks.deliver", "every_minutes": 1},
    "reminders": {"task": "problems.tasks.reminders_sweep", "every_minutes": 15},
    "digest_daily": {"task": "oversight.tasks.digest_daily", "at": "08:00"},
    "digest_weekly": {"task": "oversight.tasks.digest_weekly", "at": "08:30", "weekday": 0},
    "housekeeping": {"task": "core.tasks.housekeeping", "at": "03:00"},
    "downloads": {"task": "core.downloads.downloads_prune", "every_minutes": 60},
    # Long-term management: each recurring schedule's plan for the period, hotspot notices.
    "routine": {"task": "inspections.tasks.routine", "every_minutes": 60},
}
# Finished background jobs are kept this many days (then pruned by housekeeping).
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 14, minimum=1)

# Slow documents (docs/ARCHITECTURE.md, "The worker": slow documents). An Excel export of more rows
# than this is made by the worker and fetched from a download page; smaller ones stay immediate.
EXPORT_IMMEDIATE_MAX_ROWS = env_int("EXPORT_IMMEDIATE_MAX_ROWS", 5000, minimum=0)
# A file made by the worker is kept this many hours for its requester, then removed.
DOWNLOADS_KEEP_HOURS = env_int("DOWNLOADS_KEEP_HOURS", 24, minimum=1)
# A document's run that shows no sign of life for this long is taken as cut short (a killed
# worker): a bulletin's files may then be made again, a download is marked failed.
DOCUMENT_LEASE_MINUTES = env_int("DOCUMENT_LEASE_MINUTES", 15, minimum=1)

# ---- Notifications (docs/ARCHITECTURE.md, "Reaching people") ------------------------------------
# The address people use to reach the site: links in messages are built on it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The signature in 【】 that Chinese SMS gateways require at the head of every text.
SMS_SIGNATURE = env_str("SMS_SIGNATURE", "创卫督查")
# No SMS between these times (held until the end), except escalations to heads: "22:00-07:00".
SMS_QUIET_HOURS = tuple(dt.time.fromisoformat(t) for t in env_str("SMS_QUIET_HOURS", "22:00-07:00").split("-", 1))
# A worker holds a message it is sending this long; a worker killed meanwhile leaves it to the next
# after that (longer than the slowest channel's timeout, 10 s).
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120, minimum=1)
# E-mail through SMTP (Django's backend): the office's mail server, or none (console in DEBUG).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chuangwei@localhost")
if not EMAIL_HOST:
    # Without a mail server, messages by e-mail are printed where the worker's log goes.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# ---- HTTPS and response headers (README, "Deployment") -----------------------------------------
# HTTPS=true once people reach the site over HTTPS (through the reverse proxy or not): cookies
# travel only over HTTPS, plain http is redirected, browsers are told to use HTTPS for
# HSTS_SECONDS (a year unless set; start with 3600 on the first day, then raise it).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe talks plain http to the app
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# check --deploy advises HSTS preloading. Browsers' preload list takes only a registrable domain,
# submitted by its owner, and a district's site is a host under the government's domain: the
# advice does not apply. (HSTS_PRELOAD=true if the domain is the office's own and submitted.)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# The reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
# believed: the client's address in the security log (core.security.client_ip) and whether the
# request came over HTTPS. From any other peer those headers are dropped on arrival
# (core.middleware.TrustedProxyMiddleware). config/gunicorn.conf.py trusts the same list.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _tile_source(url: str) -> str | None:
    """https://{s}.tiles.example/{z}/{x}/{y}.png -> https://*.tiles.example (None: our own site)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc if "{" not in parts.netloc else "*." + parts.netloc.split(".", 1)[-1]
    return f"{parts.scheme}://{host}"


# Content Security Policy (django-csp): scripts and styles only from our own static files, no
# inline code, no eval, no plugins, no framing; pages pass data to scripts with json_script or
# data- attributes. Images also from data: (Bootstrap's icons), blob: (the phone's photo
# previews) and the map's tile server when one is configured.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *filter(None, [_tile_source(MAP_TILE_URL)])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
AUTH_USER_MODEL = "organisation.User"
