"""Ratings from a score with cut points, and the shared consecutive-years counter.

The counter (``reference/accountability.md`` §8) serves Texas unacceptable years, ESSA years in
status, Massachusetts Level 4 years and the Colorado clock::

    count(y) = count(y_prev) + 1   if in status in y
             = count(y_prev)       if y is paused (not rated, hold-harmless, no data)
             = count(y_prev)       while out of status for fewer than ``years_to_exit`` years
             = 0                   otherwise
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

IN, OUT, PAUSE = "in", "out", "pause"
STATES: tuple[str, ...] = (IN, OUT, PAUSE)


def contiguous_runs(keys: Sequence[object]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of equal consecutive keys (of a list sorted by key)."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((start, i))
            start = i
    return runs


def rating_from_score(
    score: float | None,
    cuts: Sequence[float],
    labels: Sequence[str],
) -> str | None:
    """The label of the band a score falls in.

    Parameters
    ----------
    score : float or None
        The scaled score; None or NaN gives None.
    cuts : sequence of float
        Strictly descending lowest scores of each band but the last (e.g. ``[90, 80, 70, 60]``:
        A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below).
    labels : sequence of str
        One label per band, best first: ``len(labels) == len(cuts) + 1``.

    Returns
    -------
    str or None
    """
    if len(labels) != len(cuts) + 1:
        raise ValueError(f"need {len(cuts) + 1} labels for {len(cuts)} cuts, got {len(labels)}")
    if any(a <= b for a, b in zip(cuts, cuts[1:], strict=False)):
        raise ValueError(f"cuts must be strictly descending, got {list(cuts)}")
    if score is None or score != score:  # NaN
        return None
    for cut, label in zip(cuts, labels, strict=False):
        if score >= cut:
            return label
    return labels[-1]


@dataclass(frozen=True)
class CounterStep:
    """The counter after one year.

    Attributes
    ----------
    year : int
    state : str
        ``in``, ``out`` or ``pause`` (a year missing from the input counts as ``pause`` or
        ``out`` according to ``missing``; only the years given produce steps).
    count : int
        Consecutive years in status so far (paused years neither count nor reset).
    run_start : int or None
        First year of the current run (a designation's "from" year), None when count is 0.
    pending_exit : int
        Consecutive out-of-status years so far while fewer than ``years_to_exit``.
    """

    year: int
    state: str
    count: int
    run_start: int | None
    pending_exit: int


def consecutive_count(
    years: Sequence[int],
    states: Sequence[str],
    *,
    years_to_exit: int = 1,
    seed: int = 0,
    seed_start: int | None = None,
    missing: str = PAUSE,
) -> tuple[CounterStep, ...]:
    """Consecutive years in a status across ordered yearly states, with pauses and gaps.

    Parameters
    ----------
    years : sequence of int
        Strictly ascending years.
    states : sequence of str
        ``"in"``, ``"out"`` or ``"pause"`` per year.
    years_to_exit : int
        Out-of-status years in a row that end a run (Texas and ESSA 1, Colorado 2).
    seed : int
        The count before the first year (e.g. a published count from an earlier file).
    seed_start : int, optional
        First year of the seeded run.
    missing : {"pause", "out"}
        How a year absent between two given years counts.

    Returns
    -------
    tuple of CounterStep
        One per given year.
    """
    if len(years) != len(states):
        raise ValueError("years and states must have the same length")
    if any(a >= b for a, b in zip(years, years[1:], strict=False)):
        raise ValueError(f"years must be strictly ascending, got {list(years)}")
    bad = [s for s in states if s not in STATES]
    if bad:
        raise ValueError(f"states must be one of {', '.join(STATES)}; got {bad[0]!r}")
    if missing not in (PAUSE, OUT):
        raise ValueError(f"missing must be one of {PAUSE}, {OUT}; got {missing!r}")
    if years_to_exit < 1:
        raise ValueError(f"years_to_exit must be at least 1, got {years_to_exit}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    count, start, out_run = seed, (seed_start if seed else None), 0
    steps: list[CounterStep] = []
    previous: int | None = None
    for year, state in zip(years, states, strict=True):
        if previous is not None and missing == OUT:
            for _gap in range(previous + 1, year):
                count, start, out_run = _advance(count, start, out_run, OUT, _gap, years_to_exit)
        count, start, out_run = _advance(count, start, out_run, state, year, years_to_exit)
        steps.append(CounterStep(year, state, count, start, out_run))
        previous = year
    return tuple(steps)


def _advance(
    count: int, start: int | None, out_run: int, state: str, year: int, years_to_exit: int
) -> tuple[int, int | None, int]:
    if state == IN:
        return count + 1, (start if count else year), 0
    if state == PAUSE:
        return count, start, out_run
    out_run += 1
    if count and out_run < years_to_exit:
        return count, start, out_run
    return 0, None, 0
