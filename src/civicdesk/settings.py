"""Civic Desk settings, read from the environment.

With no variables set you get the embedded setup: SQLite under ./var/, the database task queue
and the bundled worker. Variables start with CIVICDESK_, except DATABASE_URL.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError

env = Env()

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env.path("CIVICDESK_VAR_DIR", default=Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _secret(
    name: str,
    *,
    generate_into: Path | None = None,
    generate: Callable[[], str] = lambda: secrets.token_urlsafe(50),
) -> str:
    """A secret from NAME, from the file named by NAME_FILE, or (embedded setup) a generated file."""
    if value := env.str(name, default=""):
        return value
    if path := env.str(f"{name}_FILE", default=""):
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points to {path!r}, which cannot be read: {exc}."
            ) from exc
    if generate_into is None:
        raise ImproperlyConfigured(f"Set {name} (or {name}_FILE).")
    if not generate_into.exists():
        generate_into.write_text(generate())
        generate_into.chmod(0o600)
    return generate_into.read_text().strip()


try:
    DEBUG = env.bool("CIVICDESK_DEBUG", default=False)
    SECRET_KEY = _secret("CIVICDESK_SECRET_KEY", generate_into=VAR_DIR / "secret_key")
    # Secret keys replaced by SECRET_KEY that still validate sessions signed with them.
    SECRET_KEY_FALLBACKS: list[str] = env.list("CIVICDESK_SECRET_KEY_FALLBACKS", default=[])
    # Credentials are encrypted with these Fernet keys, never with SECRET_KEY, so rotating the
    # secret key keeps them readable. The first encrypts, all decrypt (rotation).
    CREDENTIAL_KEYS = [
        key.strip()
        for key in _secret(
            "CIVICDESK_CREDENTIAL_KEYS",
            generate_into=VAR_DIR / "credential_keys",
            generate=_fernet_key,
        ).split(",")
        if key.strip()
    ]
    ALLOWED_HOSTS = env.list("CIVICDESK_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
    CSRF_TRUSTED_ORIGINS: list[str] = env.list("CIVICDESK_CSRF_TRUSTED_ORIGINS", default=[])
    # Seconds a database connection is kept open between requests (0: close after each).
    DB_CONN_MAX_AGE = env.int("CIVICDESK_DB_CONN_MAX_AGE", default=60)
    DATABASE_URL = (
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'civicdesk.sqlite3'}"
    )
    TASK_BACKEND = env.str("CIVICDESK_TASK_BACKEND", default="database")
    REDIS_URL = env.str("CIVICDESK_REDIS_URL", default="redis://127.0.0.1:6379/0")
    EMAIL_URL_HOST = env.str("CIVICDESK_SMTP_HOST", default="localhost")
    EMAIL_PORT = env.int("CIVICDESK_SMTP_PORT", default=25)
    DEFAULT_FROM_EMAIL = env.str("CIVICDESK_FROM_EMAIL", default="civicdesk@localhost")
    TIME_ZONE = env.str("CIVICDESK_TIME_ZONE", default="America/Chicago")
    # Facebook and Instagram webhooks: the app secret signs deliveries; the verify token is ours.
    META_APP_SECRET = env.str("CIVICDESK_META_APP_SECRET", default="")
    META_WEBHOOK_VERIFY_TOKEN = env.str("CIVICDESK_META_WEBHOOK_VERIFY_TOKEN", default="")
    # The agency's registered app on each platform, for "Connect account" (OAuth).
    PLATFORM_APPS = {
        platform: {
            "client_id": env.str(f"CIVICDESK_{platform.upper()}_CLIENT_ID", default=""),
            "client_secret": env.str(f"CIVICDESK_{platform.upper()}_CLIENT_SECRET", default=""),
        }
        for platform in ("facebook", "instagram", "x", "youtube", "pinterest")
    }
    # How long a poll may go silent before its account is handed to another worker.
    POLL_LEASE_SECONDS = env.int("CIVICDESK_POLL_LEASE_SECONDS", default=300)
    # How long a worker may run one owed task (a triage batch, a notice) before it is presumed
    # dead and the task is run again elsewhere; and how long an enqueue may take to show up.
    OWED_TASK_LEASE_SECONDS = env.int("CIVICDESK_OWED_TASK_LEASE_SECONDS", default=300)
    OWED_TASK_GRACE_SECONDS = env.int("CIVICDESK_OWED_TASK_GRACE_SECONDS", default=30)
    # How often the scheduler looks for owed tasks to enqueue again.
    OWED_TASK_SWEEP_SECONDS = env.float("CIVICDESK_OWED_TASK_SWEEP_SECONDS", default=10.0)
    # A database-queue task still "running" after this long lost its worker.
    TASK_ABANDONED_AFTER_SECONDS = env.int("CIVICDESK_TASK_ABANDONED_AFTER_SECONDS", default=3600)
    # The archive is sealed this often (seconds); a version stays unsealed at most about this long.
    SEAL_INTERVAL_SECONDS = env.int("CIVICDESK_SEAL_INTERVAL_SECONDS", default=180)
    # The Ed25519 key that signs each seal; keep it out of the database and its backups.
    ANCHOR_KEY_FILE = Path(env.path("CIVICDESK_ANCHOR_KEY_FILE", default=VAR_DIR / "anchor_key"))
    # Append-only file with one signed line per seal.
    ANCHOR_FILE = Path(env.path("CIVICDESK_ANCHOR_FILE", default=VAR_DIR / "anchors.jsonl"))
    # Where the day's anchors are e-mailed, to be kept outside this server (empty: not sent).
    RECORDS_OFFICER_EMAIL = env.str("CIVICDESK_RECORDS_OFFICER_EMAIL", default="")
    # Text-message alerts through Twilio's Messages API (empty: SMS alerts are refused in words).
    TWILIO_ACCOUNT_SID = env.str("CIVICDESK_TWILIO_ACCOUNT_SID", default="")
    TWILIO_AUTH_TOKEN = env.str("CIVICDESK_TWILIO_AUTH_TOKEN", default="") or (
        Path(env.str("CIVICDESK_TWILIO_AUTH_TOKEN_FILE")).read_text().strip()
        if env.str("CIVICDESK_TWILIO_AUTH_TOKEN_FILE", default="")
        else ""
    )
    # A phone number in E.164 form, or a Messaging Service SID ("MG…").
    TWILIO_FROM = env.str("CIVICDESK_TWILIO_FROM", default="")
    # An alert handed to a sender that never reported back is sent again after this long.
    ALERT_LEASE_SECONDS = env.int("CIVICDESK_ALERT_LEASE_SECONDS", default=120)
    # Where people reach this Civic Desk: the start of the links in alerts and e-mails.
    PUBLIC_URL = env.str("CIVICDESK_PUBLIC_URL", default="http://127.0.0.1:8000")
    # Set by `civicdesk demo`: the folder where its local mail sink keeps what it was sent,
    # shown at /demo/mail/ (empty: no sink, no page).
    DEMO_MAIL_DIR = env.str("CIVICDESK_DEMO_MAIL_DIR", default="")
    # Seconds after an item is first seen when it is checked again for edits and deletions.
    RECHECK_AFTER = env.list(
        "CIVICDESK_RECHECK_AFTER",
        subcast=int,
        default=[300, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400],
    )
    # API calls recapture may spend per account, overriding the defaults in
    # civicdesk.archive.recapture_budget: "youtube=2000/86400,x=10/900" (calls per seconds).
    _recapture_budgets: dict[str, str] = env.dict("CIVICDESK_RECAPTURE_BUDGETS", default={})
except EnvError as exc:
    raise ImproperlyConfigured(f"Bad Civic Desk setting: {exc}") from exc

RECAPTURE_BUDGETS: dict[str, tuple[int, int]] = {}
for _platform, _budget in _recapture_budgets.items():
    _calls, _, _seconds = str(_budget).partition("/")
    if not (_calls.isdigit() and _seconds.isdigit() and int(_seconds) > 0):
        raise ImproperlyConfigured(
            f"CIVICDESK_RECAPTURE_BUDGETS: {_platform}={_budget} is not calls/seconds, e.g. 10/900."
        )
    RECAPTURE_BUDGETS[_platform] = (int(_calls), int(_seconds))
if not RECHECK_AFTER or RECHECK_AFTER != sorted(set(RECHECK_AFTER)):
    raise ImproperlyConfigured("CIVICDESK_RECHECK_AFTER must list increasing seconds.")

if SEAL_INTERVAL_SECONDS < 10:
    raise ImproperlyConfigured("CIVICDESK_SEAL_INTERVAL_SECONDS must be at least 10.")

if TASK_BACKEND not in {"database", "rq", "immediate"}:
    raise ImproperlyConfigured(
        f"CIVICDESK_TASK_BACKEND must be 'database', 'rq' or 'immediate', not {TASK_BACKEND!r}."
    )

EMAIL_HOST = EMAIL_URL_HOST

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "civicdesk.core",
    "civicdesk.accounts",
    "civicdesk.connectors",
    "civicdesk.archive",
    "civicdesk.inbox",
    "civicdesk.triage",
    "civicdesk.training",
    "civicdesk.routing",
    "civicdesk.escalation",
    "civicdesk.demo",
]
if TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "civicdesk.urls"
WSGI_APPLICATION = "civicdesk.wsgi.application"

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
                "civicdesk.core.context_processors.management",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing half-way through.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if TASK_BACKEND == "rq":
    # Workers empty "urgent" (triage of posts that may threaten someone) before "default".
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["urgent", "default"]}}
    RQ_QUEUES = {
        "urgent": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    }
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Errors, with their tracebacks, go to stderr and to a file that survives the terminal: a
# failed request (django.request), a failed task, anything logged at ERROR or above.
ERROR_LOG = VAR_DIR / "errors.log"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "error_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(ERROR_LOG),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "encoding": "utf-8",
            "level": "ERROR",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console", "error_file"], "level": "WARNING"},
    "loggers": {
        "civicdesk": {"level": env.str("CIVICDESK_LOG_LEVEL", default="INFO")},
        # Django's own handlers would print a request's error a second time; the root has it.
        "django": {"handlers": [], "level": "INFO"},
    },
}
