"""Production settings pass Django's deployment checklist; unsafe configurations refuse to start.

Each case runs ``turnaround`` in a subprocess, because settings are read from the environment
once, when Django starts.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Variables that change what settings.py produces; each case starts without them.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "TURNAROUND_ENV",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
)


def run_turnaround(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    base.update(
        TURNAROUND_DATA_DIR=str(tmp_path / "data"),
        TURNAROUND_ASSETS_DIR=str(REPO / "node_modules"),
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "turnaround.cli", *args],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {
        "TURNAROUND_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.org",
        "DEBUG": "0",
    }


def test_production_passes_the_deployment_checklist(tmp_path):
    result = run_turnaround(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production_env()
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]
    result = run_turnaround(tmp_path, "check", "--deploy", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    # no key is made up and stored on the side
    assert not (tmp_path / "data" / "secret_key").exists()


PRINT_SETTINGS = """
import json
import django
from django.conf import settings

django.setup()
names = ("DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_debug_is_off_unless_asked_for(tmp_path, production):
    env = production_env() if production else {}
    env.pop("DEBUG", None)
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    base.update(
        TURNAROUND_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="turnaround.config.settings",
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    if production:
        assert values["SECURE_SSL_REDIRECT"] is True
        assert values["SESSION_COOKIE_SECURE"] is True
        assert values["CSRF_COOKIE_SECURE"] is True


def test_a_malformed_debug_value_is_refused(tmp_path):
    result = run_turnaround(tmp_path, "check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr
