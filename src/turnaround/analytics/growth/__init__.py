"""Student growth percentiles (SGPs) as the R package SGP computes them.

Cohort-referenced SGPs from long-format records (``sgp_plan`` → ``sgp_run``, or ``sgp_compute``)
and baseline-referenced SGPs from stored coefficient matrices (``baseline_fit`` →
``baseline_score``). The method is ``shared/reference/sgp.md``: knots from the data (§2), the cubic
B-spline design of ``splines::bs`` (§3), cohorts of every order (§4), 100 quantile regressions at
taus 0.005 … 0.995 through ``turnaround.analytics.quantreg.fit_taus`` (§5), and the SGP count
(§6–§7). Pure numpy/pandas: no Django.
"""

from turnaround.analytics.growth.baseline import baseline_fit, baseline_score
from turnaround.analytics.growth.engine import (
    DEFAULT_METHOD,
    CohortTask,
    GrowthPlan,
    sgp_compute,
    sgp_plan,
    sgp_run,
)
from turnaround.analytics.growth.errors import (
    CohortSizeError,
    DuplicateRecordError,
    GrowthInputError,
    ProgressionError,
    ScoreValueError,
    SingularCohortError,
)
from turnaround.analytics.growth.knots import Knots
from turnaround.analytics.growth.results import CoefficientMatrix, SGPResult
from turnaround.analytics.growth.sgp import TAUS

__all__ = [
    "DEFAULT_METHOD",
    "TAUS",
    "CoefficientMatrix",
    "CohortSizeError",
    "CohortTask",
    "DuplicateRecordError",
    "GrowthInputError",
    "GrowthPlan",
    "Knots",
    "ProgressionError",
    "SGPResult",
    "ScoreValueError",
    "SingularCohortError",
    "baseline_fit",
    "baseline_score",
    "sgp_compute",
    "sgp_plan",
    "sgp_run",
]
