"""Comparison-school matching: balance, exact strata, k, replacement, caliper, brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import mahalanobis

from turnaround.analytics.impact import (
    ImpactInputError,
    InsufficientDataError,
    MatchingWarning,
    MatchResult,
    comparison_match,
    impact_estimate,
)

TYPES = ("ES", "MS", "HS")


def _panel(
    seed: int = 7, n_engaged: int = 24, n_pool: int = 300
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Engaged schools (start 2019) are lower-achieving, declining, poorer and smaller.

    ``score = level + slope * t + noise + 3 after engagement``: the true effect is 3, and the
    engaged schools' own downward trend biases a comparison with unmatched schools.
    """
    rng = np.random.default_rng(seed)
    g = n_engaged + n_pool
    ids = [f"S{i:03d}" for i in range(g)]
    engaged = np.arange(g) < n_engaged
    kind = np.array([TYPES[i % 3] for i in range(g)])
    low_income = np.clip(rng.normal(np.where(engaged, 68, 55), 12), 5, 99)
    enrol = np.round(np.exp(rng.normal(np.where(engaged, 6.1, 6.3), 0.3)))
    level = 60 - 0.4 * (low_income - 55) + rng.normal(0, 4, g)
    slope = rng.normal(np.where(engaged, -0.5, 0.0), 0.3)
    years = np.arange(2014, 2022)
    n = years.size
    frame = pd.DataFrame(
        {
            "school": np.repeat(ids, n),
            "year": np.tile(years, g),
            "type": np.repeat(kind, n),
            "enrolment": np.repeat(enrol, n) + rng.normal(0, 10, g * n),
            "low_income": np.repeat(low_income, n) + rng.normal(0, 1, g * n),
            "score": np.repeat(level, n)
            + np.repeat(slope, n) * np.tile(years - 2014, g)
            + rng.normal(0, 1.0, g * n)
            + 3.0 * (np.repeat(engaged, n) & (np.tile(years, g) >= 2019)),
        }
    )
    return frame, {ids[i]: 2019 for i in range(n_engaged)}


def _match(panel: pd.DataFrame, treated: dict[str, int], **kw: object) -> MatchResult:
    args: dict[str, object] = {
        "treated": treated,
        "outcome": "score",
        "covariates": ("enrolment", "low_income"),
        "exact": ("type",),
    }
    args.update(kw)
    return comparison_match(panel, **args)  # type: ignore[arg-type]


def test_balance_improves_and_exact_type_respected() -> None:
    panel, treated = _panel()
    res = _match(panel, treated, k=2)
    bal = res.balance.set_index("feature")
    assert list(bal.index) == [
        "score (pre mean)",
        "score (pre trend)",
        "enrolment (pre mean)",
        "low_income (pre mean)",
    ]
    assert (bal["smd_before"].abs() > 0.3).all()  # the engaged schools are different
    assert (bal["smd_after"].abs() < 0.5 * bal["smd_before"].abs()).all()
    kind = panel.groupby("school")["type"].first()
    assert (res.pairs["treated_school"].map(kind) == res.pairs["comparison_school"].map(kind)).all()
    assert res.n_treated == 24
    assert res.pairs.groupby("treated_school").size().eq(2).all()
    assert res.pairs["rank"].tolist()[:2] == [1, 2]
    assert res.pairs["weight"].eq(0.5).all()
    assert res.unmatched == ()


def test_smd_by_hand() -> None:
    panel, treated = _panel()
    res = _match(panel, treated, k=1)
    pre = panel[panel["year"] < 2019]
    lowinc = pre.groupby("school")["low_income"].mean()
    t = lowinc[list(treated)]
    c = lowinc.drop(list(treated))
    sd = np.sqrt((t.var() + c.var()) / 2)
    row = res.balance.set_index("feature").loc["low_income (pre mean)"]
    assert row["smd_before"] == pytest.approx((t.mean() - c.mean()) / sd, rel=1e-12)
    matched = lowinc[res.pairs["comparison_school"]].to_numpy()
    assert row["mean_comparison_after"] == pytest.approx(matched.mean(), rel=1e-12)
    assert row["smd_after"] == pytest.approx((t.mean() - matched.mean()) / sd, rel=1e-12)
    # the trend feature is the least-squares slope per year
    one = pre[pre["school"] == "S000"]
    slope = np.polyfit(one["year"], one["score"], 1)[0]
    prof = res.profiles.set_index("school")
    assert prof.loc["S000", "score (pre trend)"] == pytest.approx(slope, rel=1e-10)


def test_nearest_neighbours_against_brute_force() -> None:
    """With replacement, each engaged school gets the k closest same-type candidates."""
    panel, treated = _panel()
    res = _match(panel, treated, k=3)
    prof = res.profiles.set_index("school")
    feats = list(res.features)
    eng = prof[prof["engaged"]]
    pool = prof[~prof["engaged"]]
    # pooled within-group covariance, computed independently
    cov = (
        (len(eng) - 1) * np.cov(eng[feats].to_numpy(), rowvar=False)
        + (len(pool) - 1) * np.cov(pool[feats].to_numpy(), rowvar=False)
    ) / (len(prof) - 2)
    vi = np.linalg.inv(cov)
    values = dict(zip(prof.index, prof[feats].to_numpy(dtype=float), strict=True))
    for school in treated:
        same = pool.index[pool["type"] == prof.at[school, "type"]]
        d = {c: mahalanobis(values[school], values[c], vi) for c in same}
        best = sorted(d, key=lambda c: (d[c], c))[:3]
        got = res.pairs[res.pairs["treated_school"] == school]
        assert got["comparison_school"].tolist() == best
        np.testing.assert_allclose(got["distance"], [d[c] for c in best], rtol=1e-9)


def test_euclidean_metric_against_brute_force() -> None:
    panel, treated = _panel()
    res = _match(panel, treated, metric="euclidean", exact=())
    prof = res.profiles.set_index("school")
    feats = list(res.features)
    eng, pool = prof[prof["engaged"]][feats], prof[~prof["engaged"]][feats]
    sd = np.sqrt(((len(eng) - 1) * eng.var() + (len(pool) - 1) * pool.var()) / (len(prof) - 2))
    for school in list(treated)[:5]:
        d = np.sqrt((((pool - prof.loc[school, feats]) / sd) ** 2).sum(axis=1).astype(float))
        got = res.pairs[res.pairs["treated_school"] == school]
        assert got["comparison_school"].item() == d.idxmin()
        assert got["distance"].item() == pytest.approx(d.min(), rel=1e-9)


def test_without_replacement_uses_each_comparison_once() -> None:
    panel, treated = _panel()
    res = _match(panel, treated, k=2, replace=False)
    assert res.pairs["comparison_school"].is_unique
    assert len(res.pairs) == 48
    with_repl = _match(panel, treated, k=2, replace=True)
    assert with_repl.pairs["distance"].sum() <= res.pairs["distance"].sum()


def test_caliper_leaves_far_schools_unmatched_with_warning() -> None:
    panel, treated = _panel()
    loose = _match(panel, treated)
    cut = float(np.quantile(loose.pairs["distance"], 0.5))
    with pytest.warns(MatchingWarning, match="have no comparison school"):
        res = _match(panel, treated, caliper=cut)
    assert (res.pairs["distance"] <= cut).all()
    assert 0 < len(res.unmatched) < 24
    assert all("within the caliper" in u.reason for u in res.unmatched)
    assert res.n_treated + len(res.unmatched) == 24
    assert res.caveats[0].startswith(f"{len(res.unmatched)} of 24 engaged schools")


def test_empty_exact_stratum_is_reported() -> None:
    panel, treated = _panel()
    panel.loc[panel["school"] == "S000", "type"] = "K-12"
    with pytest.warns(MatchingWarning):
        res = _match(panel, treated)
    (u,) = res.unmatched
    assert (u.school, u.start_year) == ("S000", 2019)
    assert u.reason == "no comparison candidate with type='K-12'"


def test_match_result_feeds_the_estimate() -> None:
    panel, treated = _panel()
    res = _match(panel, treated, k=2)
    est = impact_estimate(panel, outcome="score", treated=treated, comparison=res)
    assert est.n_treated_schools == 24
    assert est.n_comparison_schools == res.n_comparison == len(res.comparison[2019])
    assert est.n_observations == 8 * (24 + res.n_comparison)
    every = impact_estimate(panel, outcome="score", treated=treated)
    assert every.n_comparison_schools == 300
    # matching on the pre-period trend removes most of the engaged schools' own decline
    assert every.trend_difference is not None and est.trend_difference is not None
    assert every.trend_difference.estimate < -0.4
    assert abs(est.trend_difference.estimate) < 0.25 * abs(every.trend_difference.estimate)


def test_staggered_cohorts_match_on_their_own_pre_period() -> None:
    panel, treated = _panel()
    treated = {s: (2019 if i % 2 else 2020) for i, s in enumerate(treated)}
    res = _match(panel, treated)
    assert set(res.comparison) == {2019, 2020}
    assert set(res.profiles["start_year"]) == {2019, 2020}
    prof = res.profiles.set_index(["start_year", "school"])
    pre19 = panel[(panel["school"] == "S000") & (panel["year"] < 2020)]["score"].mean()
    assert prof.loc[(2020, "S000"), "score (pre mean)"] == pytest.approx(pre19)


def test_level_only_when_one_pre_year() -> None:
    panel, treated = _panel()
    res = _match(panel, dict.fromkeys(treated, 2015))
    assert "score (pre trend)" not in res.features
    assert any("fewer than 2 pre-period years" in c for c in res.caveats)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"metric": "cosine"}, "metric must be one of 'mahalanobis', 'euclidean'; got 'cosine'"),
        ({"k": 0}, "k must be at least 1"),
        ({"caliper": -1.0}, "caliper must be a positive number"),
        ({"covariates": ("type",)}, "column 'type' is both a covariate and exact"),
        ({"candidates": ["S000"]}, "school 'S000' is engaged"),
    ],
)
def test_bad_configuration(kw: dict[str, object], message: str) -> None:
    panel, treated = _panel()
    with pytest.raises(ImpactInputError, match=message.replace("(", r"\(")):
        _match(panel, treated, **kw)


def test_unknown_keyword_rejected() -> None:
    panel, treated = _panel()
    with pytest.raises(TypeError, match="calipre"):
        _match(panel, treated, calipre=0.2)


def test_nothing_matched_is_refused() -> None:
    panel, treated = _panel()
    with pytest.raises(InsufficientDataError, match="no engaged school could be matched"):
        _match(panel, treated, caliper=1e-9)
