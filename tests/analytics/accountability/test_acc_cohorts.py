"""Cohort survival tables, checked against counts worked by hand."""

from __future__ import annotations

import pytest

from turnaround.analytics.accountability.cohorts import CohortMember, cohort_survival

M = CohortMember


def members() -> list[CohortMember]:
    return [
        M("a", "underperforming", 2011, 2014),
        M("b", "underperforming", 2011, 2016),
        M("c", "underperforming", 2011),
        M("d", "underperforming", 2011, 2015, escalated=True),
        M("e", "csi", 2011, 2013),
        M("f", "underperforming", 2012),  # another cohort
    ]


def test_per_status_and_all() -> None:
    tables = cohort_survival(members(), cohort_year=2011, through_year=2016)
    assert [t.status for t in tables] == ["csi", "underperforming", "all"]
    up = tables[1]
    assert up.size == 4
    assert [(r.year, r.in_status, r.exited_in_year, r.exited, r.escalated) for r in up.rows] == [
        (2011, 4, 0, 0, 0),
        (2012, 4, 0, 0, 0),
        (2013, 4, 0, 0, 0),
        (2014, 3, 1, 1, 0),
        (2015, 2, 0, 1, 1),
        (2016, 1, 1, 2, 1),
    ]
    assert [r.share_not_exited for r in up.rows][-1] == 0.5
    assert up.remaining == ("c",)
    assert up.exited == (("a", 2014), ("b", 2016)) and up.escalated == (("d", 2015),)
    every = tables[2]
    assert every.size == 5 and every.rows[-1].exited == 3


def test_one_status_has_no_all_table_and_an_empty_status_an_empty_table() -> None:
    tables = cohort_survival(
        members(), cohort_year=2011, through_year=2012, statuses=["underperforming"]
    )
    assert [t.status for t in tables] == ["underperforming"]
    empty = cohort_survival([], cohort_year=2011, through_year=2011, statuses=["tsi"])[0]
    assert empty.size == 0 and empty.rows[0].share_not_exited == 0.0


def test_refusals() -> None:
    with pytest.raises(ValueError, match="must be after"):
        M("x", "csi", 2015, 2015)
    with pytest.raises(ValueError, match="escalated designation has an exited_year"):
        M("x", "csi", 2015, escalated=True)
    with pytest.raises(ValueError, match="not be before"):
        cohort_survival(members(), cohort_year=2011, through_year=2010)
    with pytest.raises(ValueError, match="twice"):
        cohort_survival(
            [M("a", "csi", 2011), M("a", "csi", 2011)], cohort_year=2011, through_year=2012
        )
