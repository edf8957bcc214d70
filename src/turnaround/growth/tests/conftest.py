"""Student scores for growth tests, and the engine they run against.

``scores`` gives two Massachusetts schools of the standing ``org`` (Adams Elementary in Boston,
Lynn Middle in Lynn) and the Rhode Island school 30 students per grade 3–5 in 2015–2017, so that
2017 has four cohorts per state (ELA and MATH; grade 4 with one prior, grade 5 with two).

``engine`` is the stand-in of ``fake_engine`` unless a test asks for ``real_engine``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from turnaround.growth import engine as growth_engine
from turnaround.growth.tests import fake_engine
from turnaround.performance.models import StudentAssessment

PER_GRADE = 30
YEARS = (2015, 2016, 2017)
GRADES = (3, 4, 5)
RACES = ("black", "hispanic", "white", "asian")


def student_rows(school, source, *, prefix: str, per_grade: int = PER_GRADE, seed: int = 1):
    """StudentAssessment objects (unsaved): cohorts entering grade 3 in 2013–2017."""
    rng = np.random.default_rng(seed)
    rows = []
    for entry in range(YEARS[0] - 2, YEARS[-1] + 1):
        for i in range(per_grade):
            key = f"{prefix}-{entry}-{i:03d}"
            ability = rng.normal()
            flags = {
                "is_econ_disadv": i % 3 == 0,
                "is_el": i % 5 == 0,
                "is_swd": i % 7 == 0,
                "race": RACES[i % len(RACES)],
            }
            flags["is_high_needs"] = flags["is_econ_disadv"] or flags["is_el"] or flags["is_swd"]
            for year in YEARS:
                grade = 3 + (year - entry)
                if grade not in GRADES:
                    continue
                for subject in ("ELA", "MATH"):
                    score = 240 + 8 * ability + 4 * (grade - 3) + rng.normal(0, 6)
                    score = float(min(280, max(200, round(score / 2) * 2)))
                    rows.append(
                        StudentAssessment(
                            student_key=key,
                            school=school,
                            year=year,
                            grade=f"{grade:02d}",
                            subject=subject,
                            scale_score=score,
                            achievement_level=1 + min(3, max(0, int((score - 220) // 20 + 1))),
                            source=source,
                            **flags,
                        )
                    )
    return rows


@pytest.fixture
def scores(org):
    rows = (
        student_rows(org.school, org.source, prefix="A", seed=1)
        + student_rows(org.school_other_district, org.source, prefix="L", seed=2)
        + student_rows(org.school_other_state, org.source, prefix="P", seed=3)
    )
    StudentAssessment.objects.bulk_create(rows)
    return SimpleNamespace(count=len(rows))


@pytest.fixture
def engine(monkeypatch):
    """The fake engine in place of turnaround.analytics.growth."""
    fake_engine.CALLS.clear()
    monkeypatch.setattr(growth_engine, "load_engine", lambda: fake_engine)
    return fake_engine


@pytest.fixture
def real_engine():
    """The real engine, or a skip while it is not installed."""
    return pytest.importorskip(growth_engine.ENGINE_MODULE)
