"""What goes wrong with growth input, as specific exceptions with messages that say where."""

from __future__ import annotations


class GrowthInputError(ValueError):
    """Input from which SGPs cannot be computed; the message says what is wrong and where."""


class ScoreValueError(GrowthInputError):
    """Scale scores that are not numbers, or not finite."""


class DuplicateRecordError(GrowthInputError):
    """More than one record for a student in one year and content area."""


class ProgressionError(GrowthInputError):
    """A year, grade progression or content area that the data cannot support."""


class CohortSizeError(GrowthInputError):
    """A cohort with fewer students than the spline design has coefficients."""


class SingularCohortError(GrowthInputError):
    """A cohort whose design matrix does not have full column rank."""
