"""Simulated school × year panels with a known engagement effect, for the impact tests.

``simulate`` returns one panel whose outcome columns ``y0 … y{m-1}`` are ``m`` independent
replicates on the same schools, years and engagements, so the whole Monte Carlo is one call of
``impact_estimate_outcomes`` (a fixed-design simulation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass(frozen=True)
class Simulated:
    panel: pd.DataFrame
    treated: dict[str, int]
    outcomes: list[str]
    true_att: float


def simulate_panel(
    rng: np.random.Generator,
    *,
    m: int,
    n_treated: int = 30,
    n_comparison: int = 90,
    years: Sequence[int] = tuple(range(2015, 2021)),
    starts: Sequence[int] = (2018,),
    effect: Callable[[int, np.ndarray], np.ndarray] | Mapping[int, float] | float = 2.0,
    effect_sd: float = 0.0,
    trend: float = 0.0,
    rho: float = 0.5,
    school_sd: float = 4.0,
    year_sd: float = 1.0,
    noise_sd: float = 1.0,
) -> Simulated:
    """``y_it = a_i + l_t + u_it + tau_i(t) D_it + trend * engaged_i * (t - t_0)``.

    ``a_i ~ N(0, school_sd²)``, ``l_t ~ N(0, year_sd²)``, ``u_it`` AR(1) with correlation
    ``rho`` and marginal SD ``noise_sd``; ``D_it = 1`` from the school's start year on.
    ``effect`` is a constant, ``{start year: constant}``, or ``f(start year, rel) → effect``;
    ``effect_sd`` adds school-level heterogeneity ``N(0, effect_sd²)`` (mean zero).
    Engaged school ``i`` starts in ``starts[i % len(starts)]``.

    ``true_att`` is the estimand: the mean over engaged schools of the mean expected effect over
    the school's post-engagement years.
    """
    g = n_treated + n_comparison
    yrs = np.asarray(years)
    n_years = yrs.size
    ids = [f"{i:012d}" for i in range(g)]
    treated = {ids[i]: int(starts[i % len(starts)]) for i in range(n_treated)}
    start = np.array([treated.get(s, 10**6) for s in ids])
    rel = yrs[None, :] - start[:, None]
    if callable(effect):
        tau = np.zeros((g, n_years))
        for s in set(treated.values()):
            rows = start == s
            tau[rows] = effect(s, rel[rows])
    elif isinstance(effect, Mapping):
        tau = np.array([effect.get(int(s), 0.0) for s in start])[:, None] * np.ones(n_years)
    else:
        tau = np.full((g, n_years), float(effect))
    post = rel >= 0
    true_att = float(np.mean([tau[i, post[i]].mean() for i in range(n_treated)]))
    a = rng.normal(0.0, school_sd, (g, 1, m))
    lam = rng.normal(0.0, year_sd, (1, n_years, m))
    u = np.empty((g, n_years, m))
    u[:, 0] = rng.normal(0.0, noise_sd, (g, m))
    for t in range(1, n_years):
        innovation = rng.normal(0.0, noise_sd * np.sqrt(1.0 - rho**2), (g, m))
        u[:, t] = rho * u[:, t - 1] + innovation
    het = rng.normal(0.0, effect_sd, (g, 1, m)) if effect_sd > 0 else 0.0
    engaged = (np.arange(g) < n_treated)[:, None, None]
    y = (
        a
        + lam
        + u
        + (tau[:, :, None] + het) * post[:, :, None]
        + trend * engaged * (yrs - yrs[0])[None, :, None]
    )
    outcomes = [f"y{k}" for k in range(m)]
    data = {"school": np.repeat(ids, n_years), "year": np.tile(yrs, g)}
    frame = pd.concat(
        [pd.DataFrame(data), pd.DataFrame(y.reshape(g * n_years, m), columns=outcomes)], axis=1
    )
    return Simulated(frame, treated, outcomes, true_att)


@pytest.fixture
def simulate() -> Callable[..., Simulated]:
    return simulate_panel
