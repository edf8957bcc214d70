"""A state with enough schools and years for the rules: ``acc`` builds on the standing ``org``.

Sixteen more Massachusetts schools (elementary, middle and high) with results for 2011–2017 in
ELA, math and science for all students, high needs and English learners, so that percentiles,
cumulative PPIs and the ESSA lowest 5% have something to rank. School ``low`` is the weakest;
``org.school`` (Adams) already has a published 2017 Level 4.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

YEARS = range(2011, 2018)


def _results(school, source, base: float, slope: float, *, years=YEARS, sgp: float = 50.0):
    from turnaround.performance.models import AssessmentResult

    rows = []
    for year in years:
        for group, shift, n in (("all", 0.0, 120), ("high_needs", -6.0, 70), ("el", -12.0, 25)):
            for subject, adj in (("ELA", 0.0), ("MATH", -3.0), ("SCI", -5.0)):
                cpi = max(5.0, min(100.0, base + shift + adj + slope * (year - 2011)))
                rows.append(
                    AssessmentResult(
                        school=school,
                        year=year,
                        subject=subject,
                        group=group,
                        n_tested=n,
                        pct_level_4=10.0,
                        pct_level_3=max(0.0, cpi - 40.0),
                        pct_level_2=20.0,
                        pct_level_1=10.0,
                        composite_index=round(cpi, 1),
                        median_sgp=None if subject == "SCI" else max(1.0, min(99.0, sgp + shift)),
                        sgp_n=None if subject == "SCI" else n - 10,
                        source=source,
                    )
                )
    return rows


@pytest.fixture
def acc(org):
    from turnaround.organizations.models import School
    from turnaround.performance.models import AssessmentResult, SchoolYearProfile

    AssessmentResult.objects.filter(school__district__state=org.state).delete()
    schools = []
    kinds = [("ES", "K", "05"), ("MS", "06", "08"), ("HS", "09", "12")]
    for i in range(16):
        kind, low, high = kinds[i % 3]
        district = org.district if i % 2 == 0 else org.district2
        schools.append(
            School.objects.create(
                district=district,
                code=f"0099{i:04d}",
                name=f"School {i:02d}",
                school_type=kind,
                grade_low=low,
                grade_high=high,
                title_i="schoolwide" if i % 3 != 2 else "none",
            )
        )
    rows = []
    for i, school in enumerate(schools):
        rows += _results(school, org.source, 55.0 + 2.5 * i, 0.8 if i % 4 else -0.5, sgp=35 + 2 * i)
    for school, base in (
        (org.school, 50.0),
        (org.school_hs, 75.0),
        (org.school_other_district, 68.0),
    ):
        rows += _results(school, org.source, base, 0.5)
    AssessmentResult.objects.bulk_create(rows)
    for school in (org.school_hs, *[s for s in schools if s.school_type == "HS"]):
        for year in YEARS:
            SchoolYearProfile.objects.update_or_create(
                school=school,
                year=year,
                defaults={
                    "graduation_rate_4yr": 60.0 if school == schools[2] else 88.0,
                    "source": org.source,
                },
            )
    return SimpleNamespace(
        **vars(org),
        schools=schools,
        low=schools[0],
        all_ma=[org.school, org.school_hs, org.school_other_district, *schools],
    )
