"""The synthetic demo generator: determinism, valid ranges, trajectories, groups and students.

Pure tests: nothing here needs Django settings or a database.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import numpy as np
import pytest

from turnaround.analytics import synthetic as syn

SHARES = {
    "high_needs": 62.0,
    "econ_disadv": 48.0,
    "el": 14.0,
    "swd": 19.0,
    "black": 21.0,
    "asian": 4.0,
    "hispanic": 38.0,
    "white": 33.0,
    "multirace": 3.0,
    "amind": 0.5,
    "pacisl": 0.5,
}


def anchor(subject: str = "MATH", n: int = 240) -> syn.Anchor:
    return syn.Anchor(
        subject=subject,
        pct_levels=np.array([12.0, 30.0, 38.0, 20.0]),
        cpi=78.5,
        median_sgp=47.0,
        n_tested=n,
        sgp_n=round(0.85 * n),
    )


def arrays_equal(a: object, b: object) -> bool:
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return False
        elif x != y:
            return False
    return True


def full_series(seed: int, key: int, trajectory: str = "steady") -> dict[str, syn.ResultSeries]:
    return {
        s: syn.history_generate(anchor(s), trajectory=trajectory, seed=seed, key=key).extended(
            syn.anchor_series(anchor(s))
        )
        for s in syn.SUBJECTS
    }


def group_pct(k: int = 7) -> np.ndarray:
    return np.tile([SHARES[g] for g in syn.GROUPS], (k, 1)).astype(float)


# --------------------------------------------------------------------------------------------
# Purity and determinism


def test_module_imports_without_django() -> None:
    code = (
        "import sys; import turnaround.analytics.synthetic; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("trajectory", syn.TRAJECTORIES)
def test_same_seed_same_history_different_seed_different(trajectory: str) -> None:
    first = syn.history_generate(anchor(), trajectory=trajectory, seed=7, key=10505)
    again = syn.history_generate(anchor(), trajectory=trajectory, seed=7, key=10505)
    other = syn.history_generate(anchor(), trajectory=trajectory, seed=8, key=10505)
    assert arrays_equal(first, again)
    assert not np.array_equal(first.pct_levels, other.pct_levels)


def test_a_school_stream_does_not_depend_on_other_schools() -> None:
    alone = syn.history_generate(anchor(), trajectory="improver", seed=3, key=42)
    for key in (1, 2, 3):  # generate others first, in another order
        syn.history_generate(anchor(), trajectory="improver", seed=3, key=key)
    assert arrays_equal(
        alone, syn.history_generate(anchor(), trajectory="improver", seed=3, key=42)
    )


def test_students_and_groups_are_deterministic() -> None:
    series = full_series(11, 99)
    g1 = syn.groups_generate(series["ELA"], group_pct=group_pct(), seed=11, key=99)
    g2 = syn.groups_generate(series["ELA"], group_pct=group_pct(), seed=11, key=99)
    g3 = syn.groups_generate(series["ELA"], group_pct=group_pct(), seed=12, key=99)
    assert arrays_equal(g1, g2)
    assert not np.array_equal(g1.pct_levels, g3.pct_levels)
    kwargs = {
        "series": series,
        "grades": ("03", "04", "05"),
        "flag_pct": {f: SHARES[f] for f in syn.FLAGS},
        "race_pct": {r: SHARES[r] for r in syn.RACES},
        "key": 99,
    }
    s1 = syn.students_generate(seed=11, **kwargs)  # type: ignore[arg-type]
    s2 = syn.students_generate(seed=11, **kwargs)  # type: ignore[arg-type]
    s3 = syn.students_generate(seed=12, **kwargs)  # type: ignore[arg-type]
    assert arrays_equal(s1, s2)
    assert not np.array_equal(s1.student_key, s3.student_key)


def test_results_are_immutable() -> None:
    series = syn.history_generate(anchor(), trajectory="steady", seed=1, key=1)
    with pytest.raises(ValueError, match="read-only"):
        series.cpi[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        series.subject = "ELA"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Ranges


@pytest.mark.parametrize("trajectory", syn.TRAJECTORIES)
@pytest.mark.parametrize("seed", range(15))
def test_history_values_stay_in_valid_ranges(trajectory: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    levels = rng.dirichlet(np.full(4, 0.7)) * 100.0
    n = int(rng.integers(5, 900))
    a = syn.Anchor(
        subject=str(rng.choice(syn.SUBJECTS)),
        pct_levels=levels,
        cpi=float(rng.uniform(40, 100)),
        median_sgp=float(rng.uniform(1, 99)),
        n_tested=n,
        sgp_n=int(rng.integers(0, n + 1)),
    )
    h = syn.history_generate(a, trajectory=trajectory, seed=seed, key=seed + 1000)
    assert h.years.tolist() == list(syn.HISTORY_YEARS)
    assert np.all((h.pct_levels >= 0) & (h.pct_levels <= 100))
    np.testing.assert_allclose(h.pct_levels.sum(axis=1), 100.0, atol=1e-9)
    assert np.all((h.cpi >= 0) & (h.cpi <= 100))
    sgp = h.median_sgp[~np.isnan(h.median_sgp)]
    assert np.all((sgp >= 1) & (sgp <= 99))
    assert np.all(h.sgp_n[np.isnan(h.median_sgp)] == 0)
    assert np.all(h.sgp_n[~np.isnan(h.median_sgp)] >= 20)
    assert np.all(h.n_tested >= 0)


def test_no_growth_anchor_gives_no_growth_history() -> None:
    a = dataclasses.replace(anchor(), median_sgp=float("nan"), sgp_n=0)
    h = syn.history_generate(a, trajectory="improver", seed=1, key=1)
    assert np.all(np.isnan(h.median_sgp)) and np.all(h.sgp_n == 0)


def test_imputed_anchor_is_valid_and_follows_high_needs() -> None:
    def pa(high_needs: float, seed: int) -> float:
        a = syn.anchor_impute(
            subject="ELA",
            n_tested=300,
            pct_high_needs=high_needs,
            percentile=None,
            hs_share=0.0,
            has_growth=True,
            seed=seed,
            key=5,
        )
        assert abs(a.pct_levels.sum() - 100.0) < 1e-9 and 0 <= a.cpi <= 100
        return float(a.pct_levels[2:].sum())

    low = np.mean([pa(15.0, s) for s in range(30)])
    high = np.mean([pa(90.0, s) for s in range(30)])
    assert low > high + 15
    grade3 = syn.anchor_impute(
        subject="MATH",
        n_tested=50,
        pct_high_needs=None,
        percentile=None,
        hs_share=0.0,
        has_growth=False,
        seed=1,
        key=1,
    )
    assert np.isnan(grade3.median_sgp) and grade3.sgp_n == 0


# --------------------------------------------------------------------------------------------
# Trajectories


def proficient(series: syn.ResultSeries) -> np.ndarray:
    return series.pct_levels[:, 2:].sum(axis=1)


def test_improver_is_low_early_and_rises_to_the_anchor() -> None:
    end = anchor().pct_levels[2:].sum()
    for seed in range(25):
        h = syn.history_generate(anchor(), trajectory="improver", seed=seed, key=7, turn_year=2012)
        p = proficient(h)
        assert p[:2].mean() < end - 10  # 2011–12: clearly below the 2017 result
        assert p[:2].mean() < p[-2:].mean()  # rising
        assert np.nanmean(h.median_sgp[2:]) > np.nanmean(h.median_sgp[:2])  # growth while rising


def test_stagnant_stays_flat_and_decliner_was_higher() -> None:
    end = anchor().pct_levels[2:].sum()
    flat = [
        proficient(syn.history_generate(anchor(), trajectory="stagnant", seed=s, key=3))
        for s in range(25)
    ]
    falling = [
        proficient(syn.history_generate(anchor(), trajectory="decliner", seed=s, key=3))
        for s in range(25)
    ]
    assert abs(np.mean([p.mean() for p in flat]) - end) < 5
    assert np.mean([p[0] for p in falling]) > end + 5


# --------------------------------------------------------------------------------------------
# Student groups


def test_group_sizes_follow_demographics_and_small_groups_occur() -> None:
    series = syn.history_generate(anchor(n=80), trajectory="steady", seed=5, key=5)
    pct = group_pct(6)
    groups = syn.groups_generate(series, group_pct=pct, seed=5, key=5)
    for year, group, n in zip(groups.years, groups.groups, groups.n_tested, strict=True):
        i = list(series.years).index(year)
        assert n == round(series.n_tested[i] * SHARES[str(group)] / 100.0)
    assert np.any((groups.n_tested >= 1) & (groups.n_tested <= 9))  # asian, multirace
    np.testing.assert_allclose(groups.pct_levels.sum(axis=1), 100.0, atol=1e-9)
    assert np.all((groups.cpi >= 0) & (groups.cpi <= 100))
    assert np.all(np.isnan(groups.median_sgp[groups.n_tested < 20]))
    # a level share of a small group is a whole number of its students
    small = groups.n_tested == groups.n_tested.min()
    counts = groups.pct_levels[small] * groups.n_tested[small][:, None] / 100.0
    np.testing.assert_allclose(counts, np.round(counts), atol=0.06)


def test_groups_below_one_student_are_left_out() -> None:
    series = syn.history_generate(anchor(n=30), trajectory="steady", seed=5, key=5)
    pct = group_pct(6)
    pct[:, syn.GROUPS.index("asian")] = 1.0  # 0.3 students
    pct[:, syn.GROUPS.index("el")] = np.nan  # unknown
    groups = syn.groups_generate(series, group_pct=pct, seed=5, key=5)
    assert "asian" not in set(groups.groups) and "el" not in set(groups.groups)
    assert np.all(groups.n_tested >= 1)


def test_students_with_disabilities_and_english_learners_score_lower() -> None:
    gaps: dict[str, list[float]] = {"swd": [], "el": [], "white": []}
    for seed in range(20):
        series = syn.history_generate(anchor(n=400), trajectory="steady", seed=seed, key=9)
        groups = syn.groups_generate(series, group_pct=group_pct(6), seed=seed, key=9)
        for name in gaps:
            rows = groups.groups == name
            mine = groups.pct_levels[rows, 2:].sum(axis=1)
            gaps[name].append(float(np.mean(mine - proficient(series))))
    assert np.mean(gaps["swd"]) < -15 and np.mean(gaps["el"]) < -10
    assert np.mean(gaps["white"]) > 0


def test_group_pct_must_have_one_column_per_group() -> None:
    series = syn.history_generate(anchor(), trajectory="steady", seed=1, key=1)
    with pytest.raises(ValueError, match="high_needs, econ_disadv"):
        syn.groups_generate(series, group_pct=np.zeros((6, 3)), seed=1, key=1)


# --------------------------------------------------------------------------------------------
# Students


def students(
    grades: tuple[str, ...], seed: int = 21
) -> tuple[syn.StudentScores, dict[str, syn.ResultSeries]]:
    series = full_series(seed, 4242, trajectory="improver")
    result = syn.students_generate(
        series=series,
        grades=grades,
        flag_pct={f: SHARES[f] for f in syn.FLAGS},
        race_pct={r: SHARES[r] for r in syn.RACES},
        seed=seed,
        key=4242,
    )
    return result, series


def test_student_scores_are_on_the_legacy_scale_with_matching_levels() -> None:
    st, _ = students(("03", "04", "05"))
    assert len(st) > 0
    assert np.all((st.scale_score >= 200) & (st.scale_score <= 280))
    assert np.all(st.scale_score % 2 == 0)
    np.testing.assert_array_equal(syn.levels_from_scores(st.scale_score), st.achievement_level)
    assert all(re.fullmatch(r"S[0-9A-F]{16}", k) for k in st.student_key[:200])


def test_student_levels_reproduce_the_school_results_each_year() -> None:
    st, series = students(("06", "07", "08"))
    for subject, s in series.items():
        for i, year in enumerate(s.years):
            rows = (st.year == year) & (st.subject == subject)
            counts = np.bincount(st.achievement_level[rows], minlength=5)[1:]
            expected = s.pct_levels[i] / 100.0 * rows.sum()
            assert np.all(np.abs(counts - expected) <= 1.0)
            n_year = np.mean([other.n_tested[i] for other in series.values()])
            assert abs(rows.sum() - n_year) <= 3  # whole students per grade


def test_students_advance_one_grade_a_year_and_are_followed() -> None:
    st, _ = students(("06", "07", "08", "10"))
    ela = st.subject == "ELA"
    seen: dict[str, list[tuple[int, int]]] = {}
    for key, year, grade in zip(st.student_key[ela], st.year[ela], st.grade[ela], strict=True):
        seen.setdefault(str(key), []).append((int(year), int(grade)))
    followed = 0
    for history in seen.values():
        history.sort()
        for (y0, g0), (y1, g1) in zip(history, history[1:], strict=False):
            assert g1 - g0 == y1 - y0  # one grade per year (grade 9 is not tested)
            followed += 1
    assert followed > len(seen)  # most students have several years
    assert {int(g) for g in st.grade} == {6, 7, 8, 10}


def test_student_flags_follow_the_demographics() -> None:
    st, _ = students(("03", "04", "05", "06", "07", "08"))
    first = np.unique(st.student_key, return_index=True)[1]
    assert abs(st.is_high_needs[first].mean() * 100 - SHARES["high_needs"]) < 4
    assert abs(st.is_econ_disadv[first].mean() * 100 - SHARES["econ_disadv"]) < 4
    assert abs(st.is_swd[first].mean() * 100 - SHARES["swd"]) < 4
    assert abs(st.is_el[first].mean() * 100 - SHARES["el"]) < 4
    # high needs is the union of the three groups
    union = st.is_econ_disadv | st.is_el | st.is_swd
    np.testing.assert_array_equal(union, st.is_high_needs)
    assert set(st.race) <= set(syn.RACES)


# --------------------------------------------------------------------------------------------
# Accountability helpers


def test_percentile_within_type_matches_a_brute_force_rank() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=300)
    scores[::17] = np.nan
    types = rng.choice(["ES", "MS", "HS"], size=300)
    result = syn.percentile_within_type(scores, list(types))
    for i in range(300):
        if np.isnan(scores[i]):
            assert np.isnan(result[i])
            continue
        peers = scores[(types == types[i]) & ~np.isnan(scores)]
        rank = (peers < scores[i]).sum() + ((peers == scores[i]).sum() + 1) / 2
        assert result[i] == np.clip(round(100 * (rank - 0.5) / len(peers)), 1, 99)


def test_percentile_of_a_rare_type_is_taken_among_all_schools() -> None:
    scores = np.arange(20, dtype=float)
    types = ["ES"] * 19 + ["OTHER"]
    result = syn.percentile_within_type(scores, types)
    assert result[-1] == 98  # the best of 20, not "50th of 1"


def test_level_determine_rules() -> None:
    assert syn.level_determine(percentile=5, designation="chronic")[:2] == (5, "Level 5")
    assert syn.level_determine(percentile=90, designation="underperforming")[0] == 4
    assert syn.level_determine(percentile=20, designation=None) == (
        3,
        "Level 3",
        "Among lowest performing 20% of schools",
    )
    assert syn.level_determine(percentile=21, designation=None)[0] == 2
    assert syn.level_determine(percentile=60, designation=None)[0] == 1
    assert syn.level_determine(percentile=None, designation=None) == (None, "Insufficient data", "")


def test_trajectory_choice() -> None:
    assert syn.trajectory_choose(level=2, exited=True, seed=1, key=1) == "improver"
    level3 = [syn.trajectory_choose(level=3, exited=False, seed=1, key=k) for k in range(200)]
    assert level3.count("stagnant") > 120 and "improver" not in level3


# --------------------------------------------------------------------------------------------
# Configuration errors


def test_invalid_configuration_names_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="improver, stagnant, decliner, steady"):
        syn.history_generate(anchor(), trajectory="zigzag", seed=1, key=1)
    with pytest.raises(ValueError, match="ELA, MATH"):
        dataclasses.replace(anchor(), subject="SCI")
    with pytest.raises(ValueError, match="underperforming, chronic"):
        syn.level_determine(percentile=10, designation="csi")
    with pytest.raises(ValueError, match="high_needs, econ_disadv, el, swd"):
        syn.students_generate(
            series=full_series(1, 1),
            grades=("03",),
            flag_pct={"gifted": 5.0},
            race_pct={},
            seed=1,
            key=1,
        )
    with pytest.raises(ValueError, match="03, 04, 05, 06, 07, 08, 10"):
        syn.students_generate(
            series=full_series(1, 1), grades=("09",), flag_pct={}, race_pct={}, seed=1, key=1
        )
    with pytest.raises(ValueError, match="seed"):
        syn.history_generate(anchor(), trajectory="steady", seed=-1, key=1)


def test_unknown_keyword_arguments_are_rejected() -> None:
    with pytest.raises(TypeError):
        syn.history_generate(anchor(), trajectory="steady", seed=1, key=1, noise=0.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        syn.percentile_within_type([1.0], ["ES"], pooled=True)  # type: ignore[call-arg]
