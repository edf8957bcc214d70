"""Shared inputs for the growth tests: the SGP package's example data (sgpData), read once.

The files are in the shared data directory (``TURNAROUND_SHARED_DATA``, default
``../shared/data`` beside the repository); tests that need them skip when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.growth import GrowthPlan, SGPResult, sgp_compute, sgp_plan

DATA_DIR = Path(
    os.environ.get(
        "TURNAROUND_SHARED_DATA", str(Path(__file__).resolve().parents[4] / "shared" / "data")
    )
)
LONG_FILE = DATA_DIR / "sgpdata" / "sgpData_LONG.csv.gz"
WIDE_FILE = DATA_DIR / "sgpdata" / "sgpData_wide.csv.gz"


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not available (set TURNAROUND_SHARED_DATA)")


@pytest.fixture(scope="session")
def sgp_long() -> pd.DataFrame:
    """sgpData_LONG: 368,301 rows, READING and MATHEMATICS, 2019_2020 … 2023_2024."""
    _need(LONG_FILE)
    return pd.read_csv(
        LONG_FILE,
        usecols=["VALID_CASE", "CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE"],
    )


@pytest.fixture(scope="session")
def sgp_wide() -> pd.DataFrame:
    """The wide sgpData of the R package (ID, GRADE_2020 … GRADE_2024, SS_2020 … SS_2024)."""
    _need(WIDE_FILE)
    return pd.read_csv(WIDE_FILE)


@pytest.fixture(scope="session")
def full_plan(sgp_long: pd.DataFrame) -> GrowthPlan:
    """The default plan of the whole of sgpData_LONG (no fitting)."""
    return sgp_plan(sgp_long)


def reading_sample(long: pd.DataFrame, n_ids: int, seed: int) -> pd.DataFrame:
    """READING 2021_2022 … 2023_2024, grades 3–5, for a random sample of the students who are
    in grade 4 or 5 in 2023_2024 (all their records in those years and grades)."""
    rows = long.loc[
        (long["CONTENT_AREA"] == "READING")
        & long["YEAR"].isin(["2021_2022", "2022_2023", "2023_2024"])
        & long["GRADE"].isin([3, 4, 5])
    ]
    current = rows.loc[(rows["YEAR"] == "2023_2024") & rows["GRADE"].isin([4, 5]), "ID"]
    ids = np.random.default_rng(seed).choice(np.sort(current.unique()), n_ids, replace=False)
    return rows.loc[rows["ID"].isin(ids)].reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny(sgp_long: pd.DataFrame) -> pd.DataFrame:
    """About 60–80 students per cohort: fast enough to fit many times."""
    return reading_sample(sgp_long, 220, seed=7)


@pytest.fixture(scope="session")
def tiny_result(tiny: pd.DataFrame) -> SGPResult:
    """Cohort-referenced SGPs of ``tiny`` with the default method, in this process."""
    return sgp_compute(tiny)
