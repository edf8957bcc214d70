"""Settings for turnaround. Every value comes from the environment; see .env.example."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from turnaround.config.env import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = env_str("TURNAROUND_ENV", "development") == "production"
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR, production=PRODUCTION)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "allauth",
    "allauth.account",
    "turnaround.core",
    "turnaround.accounts",
    "turnaround.audit",
    "turnaround.organizations",
    "turnaround.performance",
    "turnaround.accountability",
    "turnaround.growth",
    "turnaround.imports",
    "turnaround.frameworks",
    "turnaround.assessments",
    "turnaround.partners",
    "turnaround.plans",
    "turnaround.monitoring",
    "turnaround.web",
    "turnaround.api",
    "turnaround.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "turnaround.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "turnaround.config.urls"
WSGI_APPLICATION = "turnaround.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "turnaround.web.context.navigation",
            ],
            "builtins": ["turnaround.web.templatetags.turnaround_tags"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'turnaround.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# allauth: invited accounts only (an SEA grants access); sign in by username or email.
ACCOUNT_ADAPTER = "turnaround.core.auth.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {"login_failed": env_str("LOGIN_FAILURE_RATE", "5/5m/ip,5/5m/key")}
LOGIN_REDIRECT_URL = "web:home"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL"),
    }
    if env_str("REDIS_URL")
    else {
        # shared by every gunicorn worker on the embedded default (sign-in throttling needs that)
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
ASSETS_DIR = Path(env_str("TURNAROUND_ASSETS_DIR", str(Path.cwd() / "node_modules")))
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/uswds", ASSETS_DIR / "@uswds" / "uswds" / "dist"),
    ("vendor/htmx", ASSETS_DIR / "htmx.org" / "dist"),
    ("vendor/vega", ASSETS_DIR / "vega" / "build"),
    ("vendor/vega-lite", ASSETS_DIR / "vega-lite" / "build"),
    ("vendor/vega-embed", ASSETS_DIR / "vega-embed" / "build"),
]
WHITENOISE_MANIFEST_STRICT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "turnaround@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Disclosure avoidance: the smallest group shown to audiences that see suppressed data
# (reference/data-and-privacy.md §7). Kept apart from any accountability minimum n.
REPORTING_MIN_N = env_int("REPORTING_MIN_N", 10)

# Student growth percentiles (turnaround.growth). Median/mean SGP of fewer students than
# GROWTH_MIN_N is stored with its n but not reported ("insufficient data"); 20 is Massachusetts'.
GROWTH_MIN_N = env_int("GROWTH_MIN_N", 20)
# Where the cohort fits run: "process" (a process pool on this machine), "dask" (a Dask cluster at
# DASK_SCHEDULER_ADDRESS, or a local one when it is unset) or "inline" (in the calling process).
GROWTH_EXECUTOR = env_str("GROWTH_EXECUTOR", "process")
GROWTH_WORKERS = env_int("GROWTH_WORKERS", 0)  # processes of the pool or local cluster; 0 = cores
DASK_SCHEDULER_ADDRESS = env_str("DASK_SCHEDULER_ADDRESS")
# Background jobs: run at once in the request (tests), else in a thread of the web process (the
# embedded default), or leave them queued for `turnaround growth worker` (JOBS_WORKER=1).
JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE", False)
JOBS_WORKER = env_bool("JOBS_WORKER", False)

# The real public data that the demo and importers read (../shared/data by default).
SHARED_DATA_DIR = Path(
    env_str("TURNAROUND_SHARED_DATA", str(PACKAGE_DIR.parent.parent.parent / "shared" / "data"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "turnaround.core.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
