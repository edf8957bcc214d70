"""Pseudonymous, longitudinal student scores that reproduce a school's yearly results."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from turnaround.analytics.synthetic.common import (
    _STUDENT,
    CUT_SCORES,
    FLAGS,
    RACES,
    SCALE_MAX,
    SCALE_MIN,
    SUBJECTS,
    TESTED_GRADES,
    BoolArray,
    FloatArray,
    IntArray,
    _check_choice,
    _rng,
)
from turnaround.analytics.synthetic.levels import _largest_remainder
from turnaround.analytics.synthetic.results import ResultSeries, StudentScores

_SCORE_BANDS = ((200, 218), (220, 238), (240, 258), (260, 280))


def _grade_number(code: str) -> int:
    return int(code)


def students_generate(
    *,
    series: Mapping[str, ResultSeries],
    grades: Sequence[str],
    flag_pct: Mapping[str, float | None],
    race_pct: Mapping[str, float | None],
    seed: int,
    key: int,
    stay_rate: float = 0.92,
) -> StudentScores:
    """Longitudinal student scores for one school, matching its yearly level distribution.

    Students fill the school's grades from the lowest tested grade to the highest (grade 9
    included when grades 8 and 10 are both tested); each year they move up one grade, a share
    ``1 − stay_rate`` leave, and new students fill each grade to its size (the year's number
    tested, averaged over subjects, divided by the number of tested grades). Each student
    keeps a latent ability (lower with a disability, as an English learner or economically
    disadvantaged; ELA and math correlated); a year's scores rank the school's tested students
    by ability plus noise and give the lowest ranks level 1 in exactly the school's
    proportions, so the student records reproduce the school-level results. Scale scores are
    even numbers inside each level's band (200–218, 220–238, 240–258, 260–280).

    Parameters
    ----------
    series : mapping of str to ResultSeries
        School-wide results per subject (keys from :data:`SUBJECTS`), all over the same years.
    grades : sequence of str
        The school's tested grades (a subset of :data:`TESTED_GRADES`).
    flag_pct : mapping of str to float or None
        Percent of students per flag in :data:`FLAGS`; None or missing = 0.
    race_pct : mapping of str to float or None
        Percent per race in :data:`RACES`; if any is unknown, ``race`` is left blank.
    seed, key : int
        The demo seed and the school's key.
    stay_rate : float
        Probability that a student stays in the school from one year to the next.

    Returns
    -------
    StudentScores
    """
    if not series:
        raise ValueError(f"series needs at least one of {', '.join(SUBJECTS)}")
    for subject in series:
        _check_choice("subject", subject, SUBJECTS)
    for name in grades:
        _check_choice("grade", name, TESTED_GRADES)
    for mapping, allowed, label in ((flag_pct, FLAGS, "flag"), (race_pct, RACES, "race")):
        unknown = set(mapping) - set(allowed)
        if unknown:
            raise ValueError(
                f"unknown {label} {sorted(unknown)[0]!r}; allowed: {', '.join(allowed)}"
            )
    if not 0.0 <= stay_rate <= 1.0:
        raise ValueError(f"stay_rate must be between 0 and 1, got {stay_rate}")
    subjects = [s for s in SUBJECTS if s in series]
    years = series[subjects[0]].years
    for s in subjects[1:]:
        if not np.array_equal(series[s].years, years):
            raise ValueError("every subject's series must cover the same years")
    tested = sorted({_grade_number(g) for g in grades})
    if not tested:
        return _students_empty()

    rng = _rng(seed, key, _STUDENT)
    p = {f: float(flag_pct.get(f) or 0.0) / 100.0 for f in FLAGS}
    race_known = all(race_pct.get(r) is not None for r in RACES)
    race_p = np.array([float(race_pct.get(r) or 0.0) for r in RACES])
    if race_known and race_p.sum() > 0:
        race_p = race_p / race_p.sum()
    else:
        race_known = False

    # Student attributes grow as students enter; stored in lists then stacked.
    ability: list[FloatArray] = []
    flags: list[BoolArray] = []
    race: list[str] = []

    def enter(count: int) -> IntArray:
        start = len(race)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        hn = rng.random(count) < p["high_needs"]
        share_hn = p["high_needs"]
        cond_el = min(1.0, p["el"] / share_hn) if share_hn > 0 else 0.0
        cond_swd = min(1.0, p["swd"] / share_hn) if share_hn > 0 else 0.0
        el = hn & (rng.random(count) < cond_el)
        swd = hn & (rng.random(count) < cond_swd)
        # High needs is the union of the three groups: high-needs students who are neither EL
        # nor SWD are economically disadvantaged; the others are with the probability that
        # brings the economically-disadvantaged share to its target.
        only = share_hn * (1.0 - cond_el) * (1.0 - cond_swd)
        either = share_hn - only
        q = float(np.clip((p["econ_disadv"] - only) / either, 0.0, 1.0)) if either > 0 else 0.0
        ed = hn & ~(el | swd) | (hn & (el | swd) & (rng.random(count) < q))
        common = rng.normal(0.0, 1.0, size=count) - 0.5 * swd - 0.4 * el - 0.25 * ed
        own = rng.normal(0.0, 1.0, size=(count, len(SUBJECTS)))
        ability.append(0.8 * common[:, None] + 0.6 * own)
        flags.append(np.column_stack([hn, ed, el, swd]))
        if race_known:
            race.extend(RACES[i] for i in rng.choice(len(RACES), size=count, p=race_p))
        else:
            race.extend([""] * count)
        return np.arange(start, start + count, dtype=np.int64)

    span = range(tested[0], tested[-1] + 1)
    roster: dict[int, IntArray] = {}
    rows: dict[str, list[Any]] = {name: [] for name in ("student", "year", "grade", "subject")}
    scores: list[FloatArray] = []
    levels: list[IntArray] = []
    for t, year in enumerate(years):
        n_year = round(float(np.mean([series[s].n_tested[t] for s in subjects])))
        size = max(1, round(n_year / len(tested))) if n_year > 0 else 0
        new_roster: dict[int, IntArray] = {}
        for g in span:
            moving = roster.get(g - 1, np.zeros(0, dtype=np.int64))
            moving = moving[rng.random(len(moving)) < stay_rate]
            if len(moving) > size:
                moving = np.sort(rng.choice(moving, size=size, replace=False))
            new_roster[g] = np.concatenate([moving, enter(size - len(moving))])
        roster = new_roster
        if size == 0:
            continue
        present = np.concatenate([roster[g] for g in tested])
        present_grade = np.concatenate([np.full(len(roster[g]), g) for g in tested])
        abilities = np.vstack(ability)
        for subject in subjects:
            s_idx = SUBJECTS.index(subject)
            latent = 0.87 * abilities[present, s_idx] + 0.5 * rng.normal(size=len(present))
            counts = _largest_remainder(series[subject].pct_levels[t], len(present))
            order = np.argsort(latent, kind="stable")
            level = np.empty(len(present), dtype=np.int64)
            score = np.empty(len(present), dtype=np.float64)
            start = 0
            for lvl, count in enumerate(counts):
                idx = order[start : start + count]
                lo, hi = _SCORE_BANDS[lvl]
                u = (np.arange(count) + rng.random(count)) / max(count, 1)
                score[idx] = np.clip(2.0 * np.round((lo + u * (hi - lo)) / 2.0), lo, hi)
                level[idx] = lvl + 1
                start += count
            rows["student"].append(present)
            rows["year"].append(np.full(len(present), year, dtype=np.int64))
            rows["grade"].append(present_grade)
            rows["subject"].append(np.full(len(present), subject))
            scores.append(score)
            levels.append(level)

    if not scores:
        return _students_empty()
    student = np.concatenate(rows["student"])
    flag_matrix = np.vstack(flags)[student]
    keys = np.array(
        [
            "S" + hashlib.sha256(f"{seed}:{key}:{i}".encode()).hexdigest()[:16].upper()
            for i in range(len(race))
        ],
        dtype=np.str_,
    )
    return StudentScores(
        student_key=keys[student],
        year=np.concatenate(rows["year"]),
        grade=np.array([f"{g:02d}" for g in np.concatenate(rows["grade"])], dtype=np.str_),
        subject=np.concatenate(rows["subject"]).astype(np.str_),
        scale_score=np.concatenate(scores),
        achievement_level=np.concatenate(levels),
        is_high_needs=flag_matrix[:, 0],
        is_econ_disadv=flag_matrix[:, 1],
        is_el=flag_matrix[:, 2],
        is_swd=flag_matrix[:, 3],
        race=np.array(race, dtype=np.str_)[student] if race else np.zeros(0, dtype=np.str_),
    )


def _students_empty() -> StudentScores:
    none_i = np.zeros(0, dtype=np.int64)
    none_s = np.zeros(0, dtype=np.str_)
    none_b = np.zeros(0, dtype=np.bool_)
    return StudentScores(
        student_key=none_s,
        year=none_i,
        grade=none_s,
        subject=none_s,
        scale_score=np.zeros(0),
        achievement_level=none_i,
        is_high_needs=none_b,
        is_econ_disadv=none_b,
        is_el=none_b,
        is_swd=none_b,
        race=none_s,
    )


def levels_from_scores(scores: Sequence[float] | FloatArray) -> IntArray:
    """Legacy MCAS achievement level (1–4) of each scale score, from :data:`CUT_SCORES`."""
    values = np.asarray(scores, dtype=np.float64)
    if np.any((values < SCALE_MIN) | (values > SCALE_MAX)):
        raise ValueError(f"scale scores must lie between {SCALE_MIN:g} and {SCALE_MAX:g}")
    result: IntArray = np.searchsorted(np.array(CUT_SCORES), values, side="right") + 1
    return result.astype(np.int64)
