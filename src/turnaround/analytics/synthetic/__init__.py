"""Seeded synthetic school histories, student-group results and student scores for the demo state.

The demo state is built around one real year (the Massachusetts 2017 school profiles). Everything
before it, every student-group row and every student record is generated here, deterministically:

- :func:`history_generate` — 2011–2016 school-wide results (per subject: % at each of the four
  legacy MCAS levels, CPI, median SGP, number tested) that lead to the real 2017 *anchor* along a
  trajectory (``improver``, ``stagnant``, ``decliner``, ``steady``);
- :func:`profile_generate` — 2011–2016 enrolment and demographics drifting back from 2017;
- :func:`groups_generate` — student-group rows sized from the demographics (small groups occur);
- :func:`students_generate` — pseudonymous, longitudinal student scores (scale 200–280) whose
  level distribution reproduces the school's yearly results;
- :func:`anchor_impute`, :func:`percentile_within_type`, :func:`level_determine` and
  :func:`trajectory_choose` — the small rules the demo needs around them.

Every random draw comes from ``numpy.random.default_rng([seed, key, purpose, ...])`` where ``key``
identifies the school (e.g. its 8-digit code as an integer): a school's synthetic data never
depends on which other schools are generated, or in which order.

Model
-----
Achievement levels are handled as an ordered-logit *location shift*: the cumulative shares
``P(level <= k)``, k = 1..3, are moved on the logit scale by the same amount ``d`` (positive ``d`` =
lower achievement), which keeps the shape of the school's own 2017 distribution. CPI follows the
level mix (100 for Proficient/Advanced, 62.5 for Needs Improvement, 12.5 for Warning — the band
midpoints, since published CPI splits NI and W/F into halves) plus the school's own 2017 residual.
"""

from turnaround.analytics.synthetic.accountability import (
    LEVEL_REASONS,
    level_determine,
    percentile_within_type,
)
from turnaround.analytics.synthetic.common import (
    ANCHOR_YEAR,
    CUT_SCORES,
    DESIGNATIONS,
    FLAGS,
    GROUPS,
    HISTORY_YEARS,
    PROFILE_SHARES,
    RACES,
    SCALE_MAX,
    SCALE_MIN,
    SUBJECTS,
    TESTED_GRADES,
    TRAJECTORIES,
    BoolArray,
    FloatArray,
    IntArray,
    StrArray,
)
from turnaround.analytics.synthetic.groups import groups_generate
from turnaround.analytics.synthetic.profiles import profile_generate
from turnaround.analytics.synthetic.results import (
    Anchor,
    GroupResults,
    ProfileHistory,
    ResultSeries,
    StudentScores,
)
from turnaround.analytics.synthetic.students import levels_from_scores, students_generate
from turnaround.analytics.synthetic.trajectories import (
    anchor_impute,
    anchor_series,
    history_generate,
    trajectory_choose,
)

__all__ = [
    "FloatArray",
    "IntArray",
    "BoolArray",
    "StrArray",
    "SUBJECTS",
    "HISTORY_YEARS",
    "ANCHOR_YEAR",
    "TRAJECTORIES",
    "GROUPS",
    "PROFILE_SHARES",
    "RACES",
    "FLAGS",
    "TESTED_GRADES",
    "CUT_SCORES",
    "SCALE_MIN",
    "SCALE_MAX",
    "DESIGNATIONS",
    "Anchor",
    "ResultSeries",
    "ProfileHistory",
    "GroupResults",
    "StudentScores",
    "anchor_impute",
    "anchor_series",
    "history_generate",
    "trajectory_choose",
    "profile_generate",
    "groups_generate",
    "students_generate",
    "levels_from_scores",
    "percentile_within_type",
    "LEVEL_REASONS",
    "level_determine",
]
