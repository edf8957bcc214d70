"""What goes wrong with impact input, as specific exceptions and warnings that say where."""

from __future__ import annotations


class ImpactInputError(ValueError):
    """Input from which no impact estimate can be made; the message says what and where."""


class MissingColumnError(ImpactInputError):
    """A column the estimate needs is not in the panel."""


class PanelValueError(ImpactInputError):
    """A value that is not usable: a non-numeric outcome, a missing school id, a fractional year."""


class DuplicateRowError(ImpactInputError):
    """More than one row for a school in one year."""


class InsufficientDataError(ImpactInputError):
    """Too few schools, or no pre- or post-engagement data, for an estimate to mean anything.

    The platform shows the message instead of a number: it names what is missing and the minimum.
    """


class MatchingWarning(UserWarning):
    """Some engaged schools found no comparison school (empty exact stratum or caliper)."""
