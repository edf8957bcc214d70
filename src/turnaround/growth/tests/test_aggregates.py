"""Aggregation (median, mean, n, minimum n) and its protection for public audiences."""

from __future__ import annotations

import statistics
from types import SimpleNamespace

import pandas as pd
import pytest

from turnaround.growth.aggregates import aggregate_sgps
from turnaround.growth.selectors import protect_growth


def frame(rows):
    base = {
        "is_high_needs": False,
        "is_econ_disadv": False,
        "is_el": False,
        "is_swd": False,
        "race": "",
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_median_mean_and_n_per_grade_group_and_all():
    rows = [{"school_id": 1, "grade": "04", "sgp": s, "is_el": s < 30} for s in (10, 20, 50, 70)]
    rows += [{"school_id": 1, "grade": "05", "sgp": s, "race": "white"} for s in (5, 95, 60)]
    rows += [{"school_id": 2, "grade": "05", "sgp": 40}]
    out = {(a.school_id, a.grade, a.group): a for a in aggregate_sgps(
        frame(rows), grades=["04", "05"], min_n=2
    )}  # fmt: skip
    a = out[(1, "ALL", "all")]
    values = [10, 20, 50, 70, 5, 95, 60]
    assert a.n == 7 and a.median_sgp == statistics.median(values)
    assert a.mean_sgp == round(statistics.fmean(values), 1)
    assert out[(1, "04", "all")].median_sgp == 35.0  # even n: mean of the middle two
    assert out[(1, "04", "el")].n == 2 and out[(1, "ALL", "white")].n == 3
    assert (1, "04", "white") not in out  # empty groups are not stored
    assert out[(2, "05", "all")].insufficient and out[(2, "05", "all")].median_sgp is None
    assert out[(2, "05", "all")].n == 1


def test_only_the_wanted_grades_are_aggregated_separately():
    rows = [{"school_id": 1, "grade": g, "sgp": 50} for g in ("04", "05", "05")]
    out = aggregate_sgps(frame(rows), grades=["05"], min_n=1)
    assert {(a.grade, a.n) for a in out if a.group == "all"} == {("05", 2), ("ALL", 3)}


def test_bad_arguments():
    with pytest.raises(ValueError, match="min_n"):
        aggregate_sgps(frame([]), grades=[], min_n=0)
    with pytest.raises(ValueError, match="lacks the columns"):
        aggregate_sgps(pd.DataFrame({"sgp": [1]}), grades=[], min_n=1)


def agg(group, n, median=50.0, min_n=20):
    return SimpleNamespace(
        school_id=1,
        year=2017,
        subject="ELA",
        grade="ALL",
        group=group,
        n=n,
        median_sgp=median if n >= min_n else None,
        mean_sgp=median if n >= min_n else None,
        reported=n >= min_n,
        min_n=min_n,
    )


def test_protection_hides_small_groups_and_a_sibling(settings):
    settings.REPORTING_MIN_N = 10
    rows = [agg("all", 60), agg("white", 40), agg("black", 12), agg("asian", 8), agg("el", 15)]
    public = {r.group: r for r in protect_growth(rows, restricted=False)}
    assert public["asian"].suppressed and public["asian"].suppressed_reason == (
        "fewer than 10 students"
    )
    # the smallest other race group is hidden too, or asian = all - white - black
    assert public["black"].suppressed and "worked out" in public["black"].suppressed_reason
    assert not public["white"].suppressed and public["white"].median_sgp == 50.0
    # el: shown with its n, but not reported (below the growth minimum n)
    assert (
        public["el"].n == 15
        and public["el"].insufficient
        and public["el"].status == ("insufficient_data")
    )
    restricted = {r.group: r for r in protect_growth(rows, restricted=True)}
    assert not any(r.suppressed for r in restricted.values())
    assert restricted["asian"].n == 8 and restricted["asian"].status == "insufficient_data"
