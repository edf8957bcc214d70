"""``turnaround serve`` warms the report-PDF renderer in every worker it starts."""

from __future__ import annotations

import pytest

from turnaround.assessments import pdf
from turnaround.config import gunicorn_conf


def test_each_worker_starts_the_pdf_prewarm(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pdf, "prewarm_in_background", lambda: calls.append("warm"))
    gunicorn_conf.post_worker_init(worker=object())
    assert calls == ["warm"]


def test_serve_passes_the_config_to_gunicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from django.core.management import call_command
    from gunicorn.app import wsgiapp

    seen: list[list[str]] = []
    monkeypatch.setattr(wsgiapp.WSGIApplication, "run", lambda self: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    call_command("serve")
    assert "python:turnaround.config.gunicorn_conf" in seen[0]
