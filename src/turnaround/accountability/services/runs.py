"""Identification runs: apply a rule set to a state's stored data for one year and store the result.

``identification_run_create`` validates the request (the year, the rule set, its parameters —
refused naming the allowed values) and queues a run; ``identification_compute`` carries it out
(``jobs.job_start`` decides where): load the inputs (``loaders``), evaluate the pure rules, store
one computed determination per school for the year, all in one transaction:

- a school with no computed determination for the year gets one (recorded as *created*);
- one whose stored determination differs gets the new values (recorded as *changed*, with each
  changed field before and after);
- one whose determination is the same is left untouched: running again on the same data changes
  nothing;
- published determinations (``is_official``) are never written: the computed one is stored beside
  them, and the run counts how often the two agree.

A run that fails leaves nothing of its determinations behind and says why.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.accountability.models import (
    AccountabilityDetermination,
    DeterminationChange,
    IdentificationRun,
)
from turnaround.accountability.services.loaders import NoInputData, RuleInputs, load_inputs
from turnaround.analytics.accountability import (
    Determination,
    RuleInputError,
    RuleSetError,
    evaluate,
    ruleset_get,
)
from turnaround.analytics.accountability.designation_rules import designation_candidate
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.core.jobs import error_place
from turnaround.core.runs import ProgressCallback, RunProgress, claim_run, fail_run, save_run
from turnaround.organizations.models import State
from turnaround.performance.models import DataSource

logger = logging.getLogger(__name__)

YEAR_MIN, YEAR_MAX = 1990, 2100
STALE_AFTER = timedelta(hours=1)
BATCH_SIZE = 500
COMPUTED_SOURCE = "Computed by turnaround identification runs"
#: Fields of a computed determination a run writes and compares.
STORED_FIELDS = (
    "label",
    "level",
    "reason",
    "reasons",
    "percentile",
    "ppi_all",
    "ppi_high_needs",
    "years_in_status",
    "ruleset_version",
    "inputs",
)


class RunInProgress(Exception):
    """Another identification run of the same state is queued or running."""

    def __init__(self, run: IdentificationRun) -> None:
        self.run = run
        super().__init__(
            f"An identification run for {run.state.code} is already "
            f"{run.get_status_display().lower()} (run {run.pk}, {run.ruleset} {run.year}); "
            "wait for it to finish."
        )


class _Stop(Exception):
    """A run stopped with a message for the person who started it."""


# ---------------------------------------------------------------------------------------------
# Requests


def _json_ready(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_json_ready(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    return value


def identification_request_validate(
    *, ruleset: Any, year: Any, params: Mapping[str, Any] | None
) -> tuple[str, int, dict[str, Any]]:
    """The rule set, year and parameters of a request, or a ValidationError naming the field.

    Parameters are validated by the rule set: an unknown name or a refused value is reported
    with the allowed names or values. Returns the parameters as given, coerced to their types.
    """
    errors: dict[str, list[str]] = {}
    ruleset_id = str(ruleset or "").strip()
    found = None
    try:
        found = ruleset_get(ruleset_id)
    except RuleSetError as exc:
        errors["ruleset"] = list(exc.problems)
    if isinstance(year, bool) or not isinstance(year, int):
        errors["year"] = [f"year must be a whole number (the spring year), got {year!r}"]
    elif not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [f"year must be between {YEAR_MIN} and {YEAR_MAX}, got {year}"]
    coerced: dict[str, Any] = {}
    if found is not None and params:
        problems: list[str] = []
        for name, value in params.items():
            try:
                parameter = found.parameter(str(name))
                coerced[parameter.name] = _json_ready(parameter.coerce(value))
            except RuleSetError as exc:
                problems.extend(exc.problems)
        if problems:
            errors["params"] = problems
    if errors:
        raise ValidationError(errors)
    assert found is not None
    return found.id, int(year), coerced


def parse_param_pairs(pairs: list[str] | tuple[str, ...] | str) -> dict[str, str]:
    """``["cuts=90,80,70,60", "ties=exclude"]`` (or one per line) as a dict; ValidationError."""
    if isinstance(pairs, str):
        pairs = pairs.splitlines()
    out: dict[str, str] = {}
    problems = []
    for raw in pairs:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            problems.append(f"{text!r} is not NAME=VALUE (e.g. cum_ppi_target=75)")
            continue
        out[name.strip()] = value.strip()
    if problems:
        raise ValidationError({"params": problems})
    return out


def _abandon_stale_runs(state: State) -> None:
    cutoff = timezone.now() - STALE_AFTER
    IdentificationRun.objects.filter(
        state=state,
        status__in=(IdentificationRun.Status.QUEUED, IdentificationRun.Status.RUNNING),
        updated_at__lt=cutoff,
    ).update(
        status=IdentificationRun.Status.FAILED,
        finished_at=timezone.now(),
        message="Abandoned: no progress for an hour (the process running it stopped). "
        "Start the run again.",
    )


def identification_run_create(
    *,
    state: State,
    ruleset: Any,
    year: Any,
    params: Mapping[str, Any] | None = None,
    actor: Any,
) -> IdentificationRun:
    """Queue an identification run; refused while another run of the state is active."""
    ruleset_id, year_ok, coerced = identification_request_validate(
        ruleset=ruleset, year=year, params=params
    )
    with transaction.atomic():
        _abandon_stale_runs(state)
        active = (
            IdentificationRun.objects.select_related("state")
            .filter(
                state=state,
                status__in=(IdentificationRun.Status.QUEUED, IdentificationRun.Status.RUNNING),
            )
            .first()
        )
        if active is not None:
            raise RunInProgress(active)
        run = IdentificationRun.objects.create(
            state=state,
            year=year_ok,
            ruleset=ruleset_id,
            ruleset_version=ruleset_get(ruleset_id).version,
            params=coerced,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=run,
            state_id=state.pk,
            changes={"ruleset": ruleset_id, "year": year_ok, "params": coerced},
        )
    return run


def identification_run_claim(run: IdentificationRun) -> bool:
    """Mark a queued run as running; False when someone else already took it."""
    return claim_run(run)


# ---------------------------------------------------------------------------------------------
# The computation


def identification_compute(
    *,
    actor: Any,
    run: IdentificationRun | None = None,
    state: State | None = None,
    ruleset: Any = None,
    year: Any = None,
    params: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> IdentificationRun:
    """Carry out a queued run (or create one from ``state``, ``ruleset``, ``year``, ``params``).

    Returns the run, done or failed with ``message`` saying why. Bad requests raise
    ``ValidationError`` and a concurrent run of the state ``RunInProgress`` before anything
    starts.
    """
    if run is None:
        if state is None:
            raise ValidationError({"state": ["name the state to identify schools in"]})
        run = identification_run_create(
            state=state, ruleset=ruleset, year=year, params=params, actor=actor
        )
    if run.status == IdentificationRun.Status.QUEUED and not identification_run_claim(run):
        return run
    if run.status != IdentificationRun.Status.RUNNING:
        return run
    tracker = RunProgress(run, progress)
    try:
        _compute(run, tracker)
    except _Stop as exc:
        _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the run for the people who may read it
        where = error_place(exc)
        logger.error(
            "identification run %s failed with %s at\n%s", run.pk, type(exc).__name__, where
        )
        _fail(run, f"The run stopped with an unexpected error: {type(exc).__name__}: {exc}")
    finally:
        audit_record(
            actor=actor if actor is not None else run.requested_by,
            action=AuditEvent.Action.LOAD,
            obj=run,
            object_repr=f"Identification {run.ruleset} {run.year} ({run.state.code})",
            state_id=run.state_id,
            changes={
                "status": run.status,
                "schools_evaluated": run.schools_evaluated,
                "created": run.created_count,
                "updated": run.updated_count,
                "unchanged": run.unchanged_count,
                "flagged": run.flagged_count,
            },
        )
    return run


def _fail(run: IdentificationRun, message: str) -> None:
    fail_run(run, message)


def _compute(run: IdentificationRun, tracker: RunProgress) -> None:
    key = f"{run.ruleset}@{run.ruleset_version}" if run.ruleset_version else run.ruleset
    ruleset = ruleset_get(key)
    params = ruleset.configure(**run.params)
    tracker.report("loading data", 0, 3, force=True)
    try:
        loaded = load_inputs(run.state, ruleset.id, run.year, params)
    except NoInputData as exc:
        raise _Stop(str(exc)) from exc
    run.inputs_summary = loaded.summary
    save_run(run, "inputs_summary")
    tracker.report("evaluating the rules", 1, 3, force=True)
    try:
        determinations = evaluate(ruleset.key, loaded.frames, **run.params)
    except RuleInputError as exc:
        raise _Stop(
            "The stored data cannot be judged by the rule set:\n" + exc.describe(limit=20)
        ) from exc
    except RuleSetError as exc:  # parameters were checked at creation; a registry change
        raise _Stop(str(exc)) from exc
    in_year = [d for d in determinations if d.year == run.year and d.school_id in loaded.ids]
    if not in_year:
        raise _Stop(f"The rule set produced no determination for {run.year}.")
    tracker.report("storing determinations", 0, len(in_year), force=True)
    _store(run, in_year, loaded, tracker)
    run.status = IdentificationRun.Status.DONE
    run.finished_at = timezone.now()
    run.stage = "done"
    run.progress_total = max(run.progress_total, 1)
    run.progress_done = run.progress_total
    run.message = _summary(run)
    save_run(
        run,
        "status",
        "finished_at",
        "stage",
        "progress_total",
        "progress_done",
        "message",
        "schools_evaluated",
        "created_count",
        "updated_count",
        "unchanged_count",
        "flagged_count",
        "official_count",
        "official_agree",
    )


def _summary(run: IdentificationRun) -> str:
    parts = [f"Evaluated {run.schools_evaluated:,} schools with {run.ruleset} for {run.year}:"]
    parts.append(
        f"{run.created_count:,} new, {run.updated_count:,} changed, "
        f"{run.unchanged_count:,} unchanged."
    )
    if run.flagged_count:
        parts.append(f"{run.flagged_count:,} flagged for a designation.")
    if run.official_count:
        parts.append(
            f"The computed outcome agrees with the published one for {run.official_agree:,} of "
            f"{run.official_count:,} schools (published determinations are kept as published)."
        )
    return " ".join(parts)


def _clean_number(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _normalised(value: Any) -> Any:
    """JSON round trip: what the database gives back, for comparisons."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _fields(d: Determination, row: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: _clean_number(v) for k, v in d.values.items()}
    pct = values.get("percentile")
    percentile = None if pct is None else int(min(99, max(1, round(pct))))
    return {
        "label": d.label[:60],
        "level": d.level,
        "reason": d.reason[:300],
        "reasons": list(d.reasons),
        "percentile": percentile,
        "ppi_all": values.get("cum_ppi_all"),
        "ppi_high_needs": values.get("cum_ppi_high_needs"),
        "years_in_status": d.years_in_status,
        "ruleset_version": d.ruleset_version,
        "inputs": _normalised({"input": dict(row), "values": values, "flags": list(d.flags)}),
    }


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name in STORED_FIELDS:
        old, new = before.get(name), after.get(name)
        if name == "inputs":
            old_in = old if isinstance(old, dict) else {}
            for part in ("input", "values"):
                a, b = old_in.get(part) or {}, new.get(part) or {}
                for key in sorted(set(a) | set(b)):
                    if a.get(key) != b.get(key):
                        changes[f"{part}.{key}"] = [a.get(key), b.get(key)]
            if old_in.get("flags") != new.get("flags"):
                changes["flags"] = [old_in.get("flags"), new.get("flags")]
            continue
        if isinstance(old, float) and isinstance(new, float) and math.isclose(old, new):
            continue
        if old != new:
            changes[name] = [old, new]
    return changes


def _computed_source() -> DataSource:
    source = DataSource.objects.filter(name=COMPUTED_SOURCE, publisher="turnaround").first()
    if source is None:
        source = DataSource.objects.create(
            name=COMPUTED_SOURCE,
            publisher="turnaround",
            notes="Determinations computed by identification runs from the stored data.",
        )
    return source


def _store(
    run: IdentificationRun,
    determinations: list[Determination],
    loaded: RuleInputs,
    tracker: RunProgress,
) -> None:
    by_school = {loaded.ids[d.school_id]: d for d in determinations}
    # the state's determinations of the year (a filter on the state, not an IN list of every
    # school: SQLite limits the parameters of one statement)
    of_year = AccountabilityDetermination.objects.filter(
        school__district__state_id=run.state_id, year=run.year, ruleset=run.ruleset
    )
    existing = {
        row.school_id: row
        for row in of_year.filter(is_official=False)
        if row.school_id in by_school
    }
    official = {
        school_id: label
        for school_id, label in of_year.filter(is_official=True).values_list("school_id", "label")
        if school_id in by_school
    }
    now = timezone.now()
    creates: list[AccountabilityDetermination] = []
    updates: list[AccountabilityDetermination] = []
    changes: list[tuple[int, str, dict[str, list[Any]]]] = []
    changed_fields: set[str] = set()
    flagged = 0
    with transaction.atomic():
        source = _computed_source()
        for done, (school_id, d) in enumerate(sorted(by_school.items()), start=1):
            fields = _fields(d, loaded.rows.get(d.school_id, {}))
            if designation_candidate(run.ruleset, d.label, d.level, d.years_in_status, d.flags):
                flagged += 1
            current = existing.get(school_id)
            if current is None:
                creates.append(
                    AccountabilityDetermination(
                        school_id=school_id,
                        year=run.year,
                        ruleset=run.ruleset,
                        is_official=False,
                        source=source,
                        run=run,
                        computed_at=now,
                        **fields,
                    )
                )
                shown = {k: [None, v] for k, v in fields.items() if k not in ("inputs", "reasons")}
                changes.append((school_id, DeterminationChange.Kind.CREATED, shown))
            else:
                before = {name: getattr(current, name) for name in STORED_FIELDS}
                diff = _diff(before, fields)
                if diff:
                    for name, value in fields.items():
                        if before.get(name) != value:
                            setattr(current, name, value)
                            changed_fields.add(name)
                    current.run = run
                    current.computed_at = now
                    updates.append(current)
                    changes.append((school_id, DeterminationChange.Kind.UPDATED, diff))
            if done % BATCH_SIZE == 0:
                tracker.report("storing determinations", done, len(by_school))
        AccountabilityDetermination.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        if updates:
            AccountabilityDetermination.objects.bulk_update(
                updates, [*sorted(changed_fields), "run", "computed_at"], batch_size=BATCH_SIZE
            )
        stored = dict(of_year.filter(is_official=False).values_list("school_id", "pk"))
        DeterminationChange.objects.bulk_create(
            [
                DeterminationChange(
                    run=run,
                    determination_id=stored.get(school_id),
                    school_id=school_id,
                    kind=kind,
                    changes=_normalised(diff),
                )
                for school_id, kind, diff in changes
            ],
            batch_size=BATCH_SIZE,
        )
        run.schools_evaluated = len(by_school)
        run.created_count = len(creates)
        run.updated_count = len(updates)
        run.unchanged_count = len(by_school) - len(creates) - len(updates)
        run.flagged_count = flagged
        run.official_count = len(official)
        run.official_agree = sum(
            1 for school_id, label in official.items() if by_school[school_id].label == label
        )
    tracker.report("storing determinations", len(by_school), len(by_school), force=True)
