"""Texas campus ratings (``tx-a-f``): a label from the overall scaled score, and the count of
consecutive unacceptable years (``C_YRS_IR``) across the input years.

- From ``first_letter_year`` (2019): A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below (``cuts``).
- Before: Improvement Required below the last cut, else Met Standard (Met Alternative Standard
  for alternative-education campuses).
- ``Not Rated…`` and ``Data Integrity Issues`` are TEA decisions read from the input, never
  computed; Not Rated years (and the COVID years) pause the count: they neither count nor reset.
- Unacceptable: F and Improvement Required; D only when
  ``d_continues_chain_if_prior_unacceptable`` and the last rated year was unacceptable.
- With ``seed_first_year`` the first input year's counts are the published ones (they include
  years before the input; a campus published with no count starts at 0 even where its score
  alone would make it unacceptable); later years are recomputed.
"""

from __future__ import annotations

import math

import pandas as pd

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.ratings import (
    IN,
    OUT,
    PAUSE,
    consecutive_count,
    contiguous_runs,
    rating_from_score,
)
from turnaround.analytics.accountability.ruleset import TX_A_F, Params

LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "F")
MET = "Met Standard"
MET_ALT = "Met Alternative Standard"
IR = "Improvement Required"
NOT_RATED = "Not Rated"
DATA_INTEGRITY = "Data Integrity Issues"


def _num(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    assert isinstance(value, int | float)
    return float(value)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def tx_determinations(frame: pd.DataFrame, params: Params) -> tuple[Determination, ...]:
    """Ratings and unacceptable-year counts for every campus and year of a ``tx`` frame.

    Parameters
    ----------
    frame : DataFrame
        ``tx`` rule inputs (``files.read_tx_camprate`` or the generic ``tx`` layout), any number
        of years.
    params : Params
        Validated ``tx-a-f`` parameters.

    Returns
    -------
    tuple of Determination
        Sorted by year, then campus id.
    """
    cuts = params.get_floats("cuts")
    first_letter = params.get_int("first_letter_year")
    d_continues = params.get_bool("d_continues_chain_if_prior_unacceptable")
    nr_pauses = params.get_bool("not_rated_pauses_chain")
    dii_state = PAUSE if params.get_str("data_integrity") == "pause" else OUT
    covid = set(params.get_ints("covid_years_not_rated"))
    seed_first = params.get_bool("seed_first_year")
    first_year = int(frame["year"].min()) if len(frame) else 0
    columns = [
        "school_id",
        "year",
        "score",
        "status",
        "alternative",
        "published_count",
        "published_rating",
    ]
    work = frame.reindex(columns=columns).sort_values(["school_id", "year"], kind="stable")
    data = {name: work[name].tolist() for name in columns}
    out: list[Determination] = []
    for start, end in contiguous_runs(data["school_id"]):
        school_id = data["school_id"][start]
        labels: list[str] = []
        reasons: list[list[str]] = []
        states: list[str] = []
        scores: list[float | None] = []
        last_rated = OUT
        seed, seeded = 0, False
        years = [int(y) for y in data["year"][start:end]]
        for i, year in enumerate(years):
            score = _num(data["score"][start + i])
            status_v = data["status"][start + i]
            status = status_v if isinstance(status_v, str) and status_v else None
            alternative = data["alternative"][start + i] is True
            label, why, state = _rate(
                year, score, status, alternative, cuts, first_letter, covid, nr_pauses, dii_state
            )
            if label == "D" and d_continues and last_rated == IN:
                state = IN
                why.append("D after an unacceptable year continues the chain")
            if i == 0 and seed_first and year == first_year:
                state, seed, seeded = _seed(
                    state,
                    why,
                    year,
                    _num(data["published_count"][start]),
                    data["published_rating"][start],
                )
            if state != PAUSE:
                last_rated = state
            labels.append(label)
            reasons.append(why)
            states.append(state)
            scores.append(score)
        steps = consecutive_count(years, states, years_to_exit=1, seed=seed)
        for i, step in enumerate(steps):
            why = reasons[i]
            flags: tuple[str, ...] = ()
            if step.state == IN:
                why.append(_count_reason(step.count, years, states, i, seeded and i == 0))
            if seeded and i == 0:
                flags = ("seeded_count",)
            out.append(
                Determination(
                    school_id=str(school_id),
                    year=step.year,
                    label=labels[i],
                    level=None,
                    reasons=tuple(why),
                    values={
                        "score": scores[i],
                        "unacceptable_count": float(step.count),
                    },
                    years_in_status=step.count if step.state == IN else None,
                    ruleset=TX_A_F.id,
                    ruleset_version=TX_A_F.version,
                    flags=flags,
                )
            )
    out.sort(key=lambda d: (d.year, d.school_id))
    return tuple(out)


def _seed(
    state: str, why: list[str], year: int, published: float | None, rating: object
) -> tuple[str, int, bool]:
    """The first input year's state and count as published (they include earlier years)."""
    if published is not None and published >= 1:
        return IN, int(published) - 1, True
    rated = isinstance(rating, str) and rating and not rating.startswith(NOT_RATED)
    if state == IN and rated and rating != DATA_INTEGRITY:
        why.append(
            f"not counted: published {rating} with no unacceptable years for {year} (the first "
            "input year's counts are the published ones)"
        )
        return OUT, 0, True
    return state, 0, False


def _rate(
    year: int,
    score: float | None,
    status: str | None,
    alternative: bool,
    cuts: tuple[float, ...],
    first_letter: int,
    covid: set[int],
    nr_pauses: bool,
    dii_state: str,
) -> tuple[str, list[str], str]:
    not_rated_state = PAUSE if nr_pauses else OUT
    if status == DATA_INTEGRITY:
        return status, [f"{status} (TEA decision, read from the input)"], dii_state
    if status is not None:
        return status, [f"{status} (TEA decision, read from the input)"], not_rated_state
    if year in covid:
        return NOT_RATED, [f"no campus was rated in {year}"], PAUSE
    if score is None:
        return NOT_RATED, ["no overall scaled score"], not_rated_state
    if year >= first_letter:
        letter = rating_from_score(score, cuts, LETTERS)
        assert letter is not None
        if letter == "F":
            return letter, [f"overall scaled score {score:g} < {cuts[-1]:g} (F)"], IN
        cut = cuts[LETTERS.index(letter)]
        return letter, [f"overall scaled score {score:g} ≥ {cut:g} ({letter})"], OUT
    if score < cuts[-1]:
        return IR, [f"overall scaled score {score:g} < {cuts[-1]:g} ({IR})"], IN
    label = MET_ALT if alternative else MET
    why = f"overall scaled score {score:g} ≥ {cuts[-1]:g} ({label}"
    why += ": alternative education campus)" if alternative else ")"
    return label, [why], OUT


def _count_reason(count: int, years: list[int], states: list[str], i: int, seeded: bool) -> str:
    if seeded:
        return (
            f"{_ordinal(count)} consecutive unacceptable year (as published for {years[i]}; "
            "earlier years are not in the input)"
        )
    paused = []
    j = i - 1
    while j >= 0 and states[j] != OUT:
        if states[j] == PAUSE:
            paused.append(years[j])
        j -= 1
    text = f"{_ordinal(count)} consecutive unacceptable year"
    gaps = [y for y in range(years[max(j, 0)], years[i]) if y not in years]
    skipped = sorted(paused + gaps)
    if skipped and count > 1:
        shown = ", ".join(str(y) for y in skipped)
        text += f" ({shown} not rated: paused, neither counted nor reset)"
    return text
