"""Django settings, driven by ``XN_*`` environment variables.

The embedded default (no variables set) is SQLite in WAL mode under ``XN_DATA_DIR``
(``./var``), eager background tasks and the in-process scheduler of ``xiaoneng run``.
Production sets ``XN_DATABASE_URL`` (PostgreSQL), ``XN_REDIS_URL`` and ``XN_SECRET_KEY``;
with ``XN_DEBUG`` off a missing secret key is an error, never a silent default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"XN_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DATA_DIR") or Path.cwd() / "var").resolve()
DEBUG = env_bool("DEBUG", default=False)
EMBEDDED = env("DATABASE_URL") is None

_secret = env("SECRET_KEY")
if not _secret:
    if not EMBEDDED and not DEBUG:
        raise ImproperlyConfigured("XN_SECRET_KEY must be set when XN_DATABASE_URL is set.")
    # The embedded default listens on loopback only; a per-install key is kept in DATA_DIR.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    _secret = _key_file.read_text().strip()
SECRET_KEY = _secret

ALLOWED_HOSTS = [
    h for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "xiaoneng.core",
    "xiaoneng.audit",
    "xiaoneng.notify",
    "xiaoneng.documents",
    "xiaoneng.org",
    "xiaoneng.deadlines",
    "xiaoneng.catalog",
    "xiaoneng.cases",
    "xiaoneng.supervision",
    "xiaoneng.portal",
    "xiaoneng.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xiaoneng.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "xiaoneng.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "xiaoneng.urls"
WSGI_APPLICATION = "xiaoneng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xiaoneng.web.context_processors.navigation",
            ],
        },
    },
]

if EMBEDDED:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH") or str(DATA_DIR / "xiaoneng.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing on upgrade.
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
else:
    _pg: Any = dj_database_url.parse(env("DATABASE_URL") or "", conn_max_age=60)
    # No JIT: our queries are short index range scans, but over a million rows their cost
    # estimate passes jit_above_cost and PostgreSQL spent seconds compiling a 5 ms query
    # (measured by bench/supervision.py). An OLTP setting; reports can SET jit = on.
    _pg.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Parameters bound by the server, not quoted into the SQL text here: psycopg then
    # prepares a statement run five times on a connection, and the server stops parsing
    # and planning it again. bench/cases.py: client CPU per lifecycle 66 → 54 ms,
    # database backend CPU 28 → 24 ms. (Statements whose plan depends on a value — the
    # partial indexes on running timers — keep custom plans: PostgreSQL compares.)
    _pg["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES = {"default": _pg}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "org:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# whitenoise serves from the app directories too (WHITENOISE_USE_FINDERS below); an empty
# STATIC_ROOT until `collectstatic` keeps it from warning on every start.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("MANIFEST_STATIC", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not EMBEDDED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Background work: Celery on Redis in production; the same task functions run eagerly
# in-process in the embedded default (see xiaoneng.scheduler).
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks go to when none is named (beat included); "celery" as Celery has it.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_DEFAULT_QUEUE") or "celery"

# Office hours default for the clock (per-region overrides live in the database).
XN_OFFICE_OPEN = env("OFFICE_OPEN") or "09:00"
XN_OFFICE_CLOSE = env("OFFICE_CLOSE") or "17:30"
XN_WARN_RATIO = float(env("WARN_RATIO") or "0.9")
XN_AUDIT_SEAL_SECONDS = int(env("AUDIT_SEAL_SECONDS") or "5")
# How often the supervision sweep looks for crossed deadlines (Celery beat / in-process).
XN_SUPERVISION_SWEEP_SECONDS = int(env("SUPERVISION_SWEEP_SECONDS") or "60")
# SMS / e-mail backend (dotted path); the console backend logs and records every message.
XN_NOTIFY_BACKEND = env("NOTIFY_BACKEND") or "xiaoneng.notify.backends.ConsoleBackend"
# Where QR codes and notices point applicants (the public progress page lives under it).
XN_PUBLIC_BASE_URL = env("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"
# Fee payments: the gateway class; the embedded default is a simulated, HMAC-signed gateway.
XN_PAYMENT_GATEWAY = env("PAYMENT_GATEWAY") or "xiaoneng.cases.payments.SimulatedGateway"
XN_PAYMENT_SECRET = env("PAYMENT_SECRET") or ""  # empty: derived from SECRET_KEY
# Case notices (PDF) are rendered right after the change commits; off, the periodic job
# `cases-documents` issues them instead (it also catches any the after-commit step missed).
XN_CASE_DOCUMENTS_AFTER_COMMIT = env_bool("CASE_DOCUMENTS_AFTER_COMMIT", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "WARNING"},
}

SITE_NAME = _("效能政务服务平台")
