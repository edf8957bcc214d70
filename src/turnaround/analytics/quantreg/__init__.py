"""Linear quantile regression for many quantiles at once, solved exactly.

``fit_taus(X, y, taus)`` returns the coefficient matrix (one column per tau) of
``argmin_b sum_i rho_tau(y_i - X_i b)`` at an optimal vertex of the LP, as quantreg's ``"br"``
does. The default method (``"pk"``) globs the rows far from the fit (Portnoy & Koenker 1997),
solves the small remaining problem by interior point and a dual simplex, and certifies each fit
against all rows; ``method="highs"`` solves each tau as an LP with scipy's HiGHS (the reference
every faster method is tested against).
"""

from turnaround.analytics.quantreg.core import (
    METHODS,
    ConvergenceWarning,
    QuantRegResult,
    SingularDesignError,
    check_design,
    fit_taus,
    rq_objective,
)

__all__ = [
    "METHODS",
    "ConvergenceWarning",
    "QuantRegResult",
    "SingularDesignError",
    "check_design",
    "fit_taus",
    "rq_objective",
]
