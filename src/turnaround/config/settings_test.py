"""Fast settings for the test suite: cheap hashing, in-memory email, local cache."""

import os

os.environ.setdefault("TURNAROUND_DATA_DIR", os.path.join(os.getcwd(), "var", "test"))
# Parallel runs (pytest-xdist): each worker keeps its files (uploads, stored imports, media) in
# a folder of its own, as it has a database of its own; set before the settings read it.
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):
    _base = os.environ["TURNAROUND_DATA_DIR"]
    if os.path.basename(_base) != _worker:
        os.environ["TURNAROUND_DATA_DIR"] = os.path.join(_base, _worker)
os.environ.setdefault("DEBUG", "0")

from turnaround.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
JOBS_IMMEDIATE = True  # background jobs run at once, inside the test's transaction
GROWTH_EXECUTOR = "inline"  # tests that need a pool or a Dask cluster ask for one
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
