"""Where checks and commits run: at once (tests), by a worker (production), or in a thread
started when the request's transaction commits (the embedded default); live progress."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from turnaround.core import jobs as core_jobs
from turnaround.imports import jobs
from turnaround.imports.models import ImportJob
from turnaround.imports.services import import_job_create_from_path, progress_cache_key
from turnaround.imports.tests.conftest import GOOD_ROWS, csv_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(org, data_dir, write):
    return import_job_create_from_path(
        actor=None, state=org.state, reader_key="results-template", path=write(csv_text(*GOOD_ROWS))
    )


def test_immediate(job):
    assert jobs.job_start(job, "validate") == "immediate"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_worker_leaves_the_job_queued(job, settings):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_WORKER = True
    assert jobs.job_start(job, "validate") == "worker"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_thread_starts_once_the_transaction_commits(
    job, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.JOBS_IMMEDIATE = False
    started = []

    class FakeThread:
        def __init__(self, *, target, args, name, daemon):
            self.args, self.name, self.daemon = args, name, daemon

        def start(self):
            started.append(self)

    monkeypatch.setattr(core_jobs.threading, "Thread", FakeThread)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.job_start(job, "validate") == "thread"
        assert not started  # not before the request's transaction commits
    [thread] = started
    assert (thread.name, thread.daemon) == (f"import-{job.pk}-validate", True)
    job_name, body = thread.args
    assert job_name == thread.name
    body()  # what the thread carries out: the job loaded afresh, then checked
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_unknown_actions_are_refused(job):
    with pytest.raises(ValueError, match="validate, commit"):
        jobs.job_start(job, "delete")


def test_a_refused_commit_is_not_retried_by_the_worker(job):
    jobs.job_start(job, "validate")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.INVALID, commit_requested_at="2026-01-01T00:00:00Z"
    )
    assert jobs.run_queued(once=True) == 0


def test_the_page_shows_live_progress_during_a_commit(job, personas, client_for):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING)
    cache.set(
        progress_cache_key(job.pk),
        {"stage": "writing results", "done": 3, "total": 4, "status": "committing"},
    )
    html = client_for(personas.state_admin).get(reverse("imports:detail", args=[job.pk]))
    text = html.content.decode()
    assert "writing results" in text and 'value="75"' in text
    cache.delete(progress_cache_key(job.pk))
