"""The effect of partner engagement on school outcomes, from the platform's own data.

Engaged schools are compared with comparison schools that were never engaged, before and after
engagement (issue 7 §4):

1. **Matching** (:func:`comparison_match`). For each engagement start year, engaged schools are
   matched to never-engaged schools with the same school type (``exact``) by nearest neighbours on
   their pre-engagement profile — outcome level and trend, enrolment, % low income … —
   by Mahalanobis or standardised Euclidean distance, ``k`` neighbours, with or without
   replacement, within a caliper. Balance is reported as standardised mean differences before
   and after matching.

2. **Stacked difference-in-differences** (:func:`impact_estimate`). Engagements may start in
   different years. A single two-way fixed-effects regression with staggered timing compares
   late starters with early starters already engaged and is biased when effects differ across
   start years or grow with time (Goodman-Bacon 2021), so each start year ``s`` is its own
   sub-experiment (Cengiz et al. 2019): its engaged schools against *clean* comparison schools,
   never engaged in the panel. The sub-experiments are stacked with school-by-stack and
   year-by-stack fixed effects and one treatment indicator (engaged × year ≥ ``s``) per start
   year, so each start year's estimate is exactly its own two-way fixed-effects DiD; the overall
   estimate is their average weighted by the number of engaged schools — the average effect on
   engaged schools of their post-engagement years. A comparison school serving several start
   years is one cluster.

   Standard errors are cluster-robust by school (CR1: ``G/(G−1)·(N−1)/(N−K)``, the school
   effects being nested in the clusters and not counted in ``K`` unless ``fixef_k="full"``),
   with t intervals and p-values on ``G − 1`` degrees of freedom, ``G`` the number of schools.

3. **Pre-trend checks.** An *event study* on the same stacks estimates the engaged-minus-
   comparison difference at each year relative to the start (reference: the year before); the
   leads (earlier pre-period years) are tested jointly against zero with a cluster-robust Wald F
   test on ``(leads, G − 1)`` degrees of freedom. A *comparative interrupted time series* fits
   a differential linear trend, a level change at engagement and a slope change after it; its
   trend difference is the pre-period trend gap between the groups.

Assumptions and caveats: without engagement, engaged and comparison schools would have moved in
parallel (the pre-trend tests can refute this but never prove it, and have little power with few
schools or years); engagement did not affect comparison schools; which schools engaged, and when,
did not depend on a shock to the outcome (a partner brought in after a bad year will show
regression to the mean as an effect — read the event study). Matching on noisy pre-period
outcomes can itself cause regression to the mean in the comparison group (Daw & Hatfield 2018):
match on several years' mean and trend rather than one year, and prefer covariates that do not
move from year to year. Staggered start years are handled by stacking, not by a single
two-way fixed-effects regression; the comparison schools must never be engaged during the
panel's years (not-yet-engaged schools are not used as controls). Cluster-robust intervals
are too narrow with few schools: estimates with fewer than ``min_treated`` engaged or
``min_comparison`` comparison schools are refused (:class:`InsufficientDataError`), and under
ten are flagged. Every result carries its caveats.

Validated on simulated panels with a known effect (``tests/analytics/impact``, 4,000 panels of
30 engaged and 90 comparison schools over 6 years): bias within Monte Carlo error and 95%
intervals covering the true effect 94.4% of the time, for one start year and for staggered
starts with heterogeneous effects. The regressions match R's ``lm`` with ``sandwich::vcovCL`` to
1e-8 (``tests/analytics/impact/reference/did_reference.R``).
"""

from turnaround.analytics.impact.did import (
    FEW_SCHOOLS,
    Coefficient,
    CohortEstimate,
    EventTimeEstimate,
    ImpactResult,
    impact_estimate,
    impact_estimate_outcomes,
)
from turnaround.analytics.impact.errors import (
    DuplicateRowError,
    ImpactInputError,
    InsufficientDataError,
    MatchingWarning,
    MissingColumnError,
    PanelValueError,
)
from turnaround.analytics.impact.matching import METRICS, MatchResult, Unmatched, comparison_match

__all__ = [
    "FEW_SCHOOLS",
    "METRICS",
    "Coefficient",
    "CohortEstimate",
    "DuplicateRowError",
    "EventTimeEstimate",
    "ImpactInputError",
    "ImpactResult",
    "InsufficientDataError",
    "MatchResult",
    "MatchingWarning",
    "MissingColumnError",
    "PanelValueError",
    "Unmatched",
    "comparison_match",
    "impact_estimate",
    "impact_estimate_outcomes",
]
