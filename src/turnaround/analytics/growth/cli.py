"""File in, file out: the analysts' contract ``turnaround growth sgp INPUT --output OUT.csv``.

``sgp_file`` reads a long file (CSV, or ``.csv.gz``), optionally a ``KNOTS.csv``, computes
cohort-referenced SGPs and writes one row per student scored. No database is touched; the output
is written to a temporary file and moved into place, so a failed run leaves no partial file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

import pandas as pd

from turnaround.analytics.growth.engine import DEFAULT_METHOD, Progress, sgp_compute
from turnaround.analytics.growth.errors import GrowthInputError
from turnaround.analytics.growth.knots import Knots
from turnaround.analytics.growth.records import REQUIRED_COLUMNS, VALID

KNOTS_COLUMNS = (
    "content_area",
    "grade",
    "knot_1",
    "knot_2",
    "knot_3",
    "knot_4",
    "boundary_low",
    "boundary_high",
    "loss",
    "hoss",
)

_TEXT_COLUMNS = ("VALID_CASE", "CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE")


def read_long(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The columns the engine needs, as text (scores are checked by the engine)."""
    wanted = {*REQUIRED_COLUMNS, VALID}
    try:
        frame = pd.read_csv(
            path,
            usecols=lambda c: c in wanted,
            dtype=dict.fromkeys(_TEXT_COLUMNS, str),
            keep_default_na=True,
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise GrowthInputError(f"cannot read {path}: {exc}") from exc
    return frame


def read_knots(path: str | os.PathLike[str]) -> list[Knots]:
    """``KNOTS.csv``: one row per content area and grade (the knots apply to every year)."""
    try:
        frame = pd.read_csv(path, dtype={"content_area": str, "grade": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise GrowthInputError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in KNOTS_COLUMNS if c not in frame.columns]
    if missing:
        raise GrowthInputError(
            f"{path} lacks column(s) {', '.join(missing)}; required: {', '.join(KNOTS_COLUMNS)}"
        )
    numeric = KNOTS_COLUMNS[2:]
    values = frame[list(numeric)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1).to_numpy()
    if bad.any():
        first = int(bad.nonzero()[0][0])
        raise GrowthInputError(
            f"{path}: {int(bad.sum())} row(s) have missing or non-numeric knot values "
            f"(first: line {first + 2})"
        )
    out = []
    for i, row in enumerate(frame.itertuples(index=False)):
        v = values.iloc[i]
        try:
            out.append(
                Knots(
                    content_area=str(row.content_area).strip(),
                    grade=str(row.grade),
                    knots=(
                        float(v["knot_1"]),
                        float(v["knot_2"]),
                        float(v["knot_3"]),
                        float(v["knot_4"]),
                    ),
                    boundaries=(float(v["boundary_low"]), float(v["boundary_high"])),
                    loss_hoss=(float(v["loss"]), float(v["hoss"])),
                )
            )
        except GrowthInputError as exc:
            raise GrowthInputError(f"{path} line {i + 2}: {exc}") from None
    return out


def sgp_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    knots_csv: str | os.PathLike[str] | None = None,
    years: Sequence[str] | None = None,
    content_areas: Sequence[str] | None = None,
    max_order: int | None = None,
    method: str = DEFAULT_METHOD,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> int:
    """Compute cohort-referenced SGPs from a long file and write them to ``output``.

    Output columns: ``CONTENT_AREA, YEAR, ID, GRADE, SGP, SGP_ORDER, SGP_ORDER_1 … SGP_ORDER_k,
    SGP_NORM_GROUP`` (a ``.gz`` output name is compressed).

    Returns
    -------
    int
        The number of students written.
    """
    long = read_long(input)
    knots = read_knots(knots_csv) if knots_csv is not None else None
    result = sgp_compute(
        long,
        years=years,
        content_areas=content_areas,
        max_order=max_order,
        knots=knots,
        method=method,
        executor=executor,
        progress=progress,
    )
    columns = [
        c
        for c in result.frame.columns
        if c in ("CONTENT_AREA", "YEAR", "ID", "GRADE", "SGP", "SGP_ORDER", "SGP_NORM_GROUP")
        or c.startswith("SGP_ORDER_")
    ]
    target = Path(output)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix="".join(target.suffixes), dir=target.parent or "."
    )
    os.close(fd)
    try:
        result.frame[columns].to_csv(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(result.frame)
