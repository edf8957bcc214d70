"""Reads of imports, each through the access helpers of ``turnaround.accounts.access``.

Who may import (DESIGN.md §1: the state administrator configures the state and publishes; data
loads change every figure the state shows):

- only **state administrators** of a state upload files for it, check and commit them, and see
  its import jobs, their problems and changes; everyone else gets the same 404 as for a missing
  job. State staff, who watch schools but do not publish, see the imported data on the data
  pages, not the jobs.
- **student-level** files (readers that fill the restricted ``students`` table) need, on top,
  restricted access to the state — which a state administrator has. Their previews never hold a
  student's row: only counts by school, year and subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from turnaround.accounts.access import get_reach
from turnaround.imports.models import ImportChange, ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.readers.base import Reader, ReaderOption
from turnaround.imports.services import is_restricted, progress_cache_key
from turnaround.imports.targets import TARGETS
from turnaround.organizations.models import State


def import_states_for_user(user: Any) -> QuerySet[State]:
    """States whose imports the user may run and see (state administrators)."""
    return State.objects.filter(pk__in=get_reach(user).admin_state_ids).order_by("name")


def may_import(user: Any, state: State, reader: Reader) -> bool:
    reach = get_reach(user)
    if not reach.administers(state.pk):
        return False
    return not is_restricted(reader) or state.pk in reach.restricted_state_ids


def import_jobs_for_user(user: Any) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(state_id__in=get_reach(user).admin_state_ids)
        .select_related("state", "created_by", "committed_by")
        .order_by("-created_at", "-pk")
    )


def get_import_job_for_user(user: Any, job_id: int) -> ImportJob:
    job = import_jobs_for_user(user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    return job


def sees_student_rows(user: Any, job: ImportJob) -> bool:
    """Whether the user may see a student-level job's record counts and changed keys."""
    return job.state_id in get_reach(user).restricted_state_ids


@dataclass(frozen=True)
class ReaderInfo:
    key: str
    label: str
    description: str
    extensions: tuple[str, ...]
    targets: tuple[str, ...]
    target_labels: tuple[str, ...]
    restricted: bool
    options: tuple[ReaderOption, ...] = ()


def reader_info(reader: Reader) -> ReaderInfo:
    return ReaderInfo(
        key=reader.key,
        label=reader.label,
        description=reader.description,
        extensions=tuple(reader.extensions),
        targets=tuple(reader.targets),
        target_labels=tuple(TARGETS[t].label for t in reader.targets if t in TARGETS),
        restricted=is_restricted(reader),
        options=tuple(getattr(reader, "declared_options", ())),
    )


def readers_for_user(user: Any) -> list[ReaderInfo]:
    """The formats the user may import into at least one of their states, by label."""
    states = list(import_states_for_user(user))
    return sorted(
        (
            reader_info(r)
            for r in READERS.values()
            if any(may_import(user, state, r) for state in states)
        ),
        key=lambda info: info.label.lower(),
    )


def live_progress(job: ImportJob) -> ImportJob:
    """The job with its latest progress (kept in the cache while a commit's transaction hides
    the job row's updates)."""
    if job.is_active:
        cached = cache.get(progress_cache_key(job.pk))
        if cached:
            job.stage = cached["stage"]
            job.progress_done = cached["done"]
            job.progress_total = cached["total"]
    return job


def job_changes(job: ImportJob, target: str | None = None) -> QuerySet[ImportChange]:
    changes = job.changes.all().order_by("id")
    return changes.filter(target=target) if target else changes


def job_change_targets(job: ImportJob) -> list[str]:
    return list(job.changes.order_by().values_list("target", flat=True).distinct())
