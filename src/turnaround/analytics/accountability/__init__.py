"""State and federal accountability rule sets as pure, versioned, configurable functions.

``evaluate(ruleset_id, inputs, **params)`` applies a registered rule set (``ruleset_list()``) to
input files or frames (one per year, oldest first) and returns immutable
:class:`Determination` objects; ``determinations_frame`` turns them into the analysts' table.
Rules: ``ma2012`` (Massachusetts levels), ``ma2018`` (Massachusetts target percentage), ``essa``
(CSI/TSI/ATSI and California's CSI graduation rule), ``texas`` (A–F and unacceptable years) on
top of ``ratings`` (cut points and the shared consecutive-years counter); ``files`` reads the real
file layouts. See ``reference/accountability.md``.
"""

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.evaluate import (
    COLUMNS,
    determinations_frame,
    evaluate,
)
from turnaround.analytics.accountability.files import InputIssue, RuleInputError
from turnaround.analytics.accountability.ruleset import (
    Parameter,
    RuleSet,
    RuleSetError,
    ruleset_get,
    ruleset_list,
)

__all__ = [
    "COLUMNS",
    "Determination",
    "InputIssue",
    "Parameter",
    "RuleInputError",
    "RuleSet",
    "RuleSetError",
    "determinations_frame",
    "evaluate",
    "ruleset_get",
    "ruleset_list",
]
