"""The growth engine (``turnaround.analytics.growth``), looked up when a computation starts.

Services call :func:`load_engine` rather than importing the engine at module import, so the web
process starts without the numerical stack loaded and a test can put a small stand-in with the
same contract in its place (``monkeypatch.setattr(engine, "load_engine", ...)``).

The contract used here:

- ``sgp_plan(long, *, years=None, content_areas=None, max_order=None, knots=None)`` → a plan
  with ``.tasks``: ``CohortTask(content_area, year, grade, progression, years, orders,
  n_by_order, input_hash)``;
- ``sgp_run(long, plan, *, tasks=None, method="auto", executor=None, progress=None)`` → a result
  with ``.frame``: one row per student scored (``CONTENT_AREA, YEAR, ID, GRADE, SGP, SGP_ORDER,
  SGP_ORDER_1..k, SGP_NORM_GROUP, SCALE_SCORE_PRIOR, SCALE_SCORE_PRIOR_STANDARDIZED``);
- ``GrowthInputError(ValueError)`` for bad input, with a message meant for the person who ran it.
"""

from __future__ import annotations

import importlib
from typing import Any

ENGINE_MODULE = "turnaround.analytics.growth"


def load_engine() -> Any:
    """The engine module (raises ImportError while it is not installed)."""
    return importlib.import_module(ENGINE_MODULE)


def input_error_class(engine: Any) -> type[Exception]:
    """The engine's bad-input exception (``ValueError`` if it has none)."""
    return getattr(engine, "GrowthInputError", ValueError)
