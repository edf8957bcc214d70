"""Cohort outcomes: of the schools designated in one year, how many had exited by each later year.

"Of the 40 schools designated in 2010 and 2011, 22 had exited by fall 2015"
(``reference/accountability.md`` §1.8) is a survival table: for a cohort (the schools that entered
a status in one year), per later year, how many are still in the status, how many left it by
escalating to a more severe one (Level 4 → Level 5 receivership), and how many exited.

A designation's ``exited_year`` is the first year the school is no longer in the status, so a
school has *exited by* year ``y`` when ``exited_year <= y``. An escalated school has not exited:
it is counted apart, and it stays in the "not exited" share the survival curve shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ALL_STATUSES = "all"


@dataclass(frozen=True)
class CohortMember:
    """One designation in a cohort.

    Attributes
    ----------
    school_id : str
        Any id the caller uses (shown in the "which remain" lists).
    status : str
    entered_year : int
    exited_year : int or None
        The first year out of the status (exit or escalation), None while in it.
    escalated : bool
        True when the designation ended by escalation rather than exit.
    """

    school_id: str
    status: str
    entered_year: int
    exited_year: int | None = None
    escalated: bool = False

    def __post_init__(self) -> None:
        if self.exited_year is not None and self.exited_year <= self.entered_year:
            raise ValueError(
                f"{self.school_id}: exited_year ({self.exited_year}) must be after "
                f"entered_year ({self.entered_year})"
            )
        if self.escalated and self.exited_year is None:
            raise ValueError(f"{self.school_id}: an escalated designation has an exited_year")


@dataclass(frozen=True)
class SurvivalRow:
    """The cohort at the end of one year.

    Attributes
    ----------
    year : int
    in_status : int
        Still in the cohort's status.
    exited_in_year : int
        Exited that year.
    exited : int
        Exited by that year (cumulative).
    escalated : int
        Escalated by that year (cumulative).
    share_not_exited : float
        ``(size − exited) / size``: the survival curve.
    """

    year: int
    in_status: int
    exited_in_year: int
    exited: int
    escalated: int
    share_not_exited: float


@dataclass(frozen=True)
class CohortSurvival:
    """One cohort's outcomes through ``through_year``.

    Attributes
    ----------
    cohort_year : int
    status : str
        A status, or ``"all"`` for every status together.
    size : int
    rows : tuple of SurvivalRow
        One per year from the cohort year to ``through_year``.
    remaining : tuple of str
        Ids still in the status at ``through_year``.
    exited : tuple of (str, int)
        Ids that exited, with the exit year.
    escalated : tuple of (str, int)
        Ids that escalated, with the year.
    """

    cohort_year: int
    status: str
    size: int
    rows: tuple[SurvivalRow, ...]
    remaining: tuple[str, ...]
    exited: tuple[tuple[str, int], ...]
    escalated: tuple[tuple[str, int], ...]

    @property
    def exited_count(self) -> int:
        return len(self.exited)


def _survival(
    members: Sequence[CohortMember], cohort_year: int, through_year: int, status: str
) -> CohortSurvival:
    size = len(members)
    rows: list[SurvivalRow] = []
    for year in range(cohort_year, through_year + 1):
        gone = [m for m in members if m.exited_year is not None and m.exited_year <= year]
        exited = sum(1 for m in gone if not m.escalated)
        escalated = sum(1 for m in gone if m.escalated)
        in_year = sum(1 for m in gone if not m.escalated and m.exited_year == year)
        rows.append(
            SurvivalRow(
                year=year,
                in_status=size - len(gone),
                exited_in_year=in_year,
                exited=exited,
                escalated=escalated,
                share_not_exited=(size - exited) / size if size else 0.0,
            )
        )
    ended = [m for m in members if m.exited_year is not None and m.exited_year <= through_year]
    return CohortSurvival(
        cohort_year=cohort_year,
        status=status,
        size=size,
        rows=tuple(rows),
        remaining=tuple(sorted(m.school_id for m in members if m not in ended)),
        exited=tuple(
            sorted((m.school_id, m.exited_year) for m in ended if not m.escalated)  # type: ignore[misc]
        ),
        escalated=tuple(
            sorted((m.school_id, m.exited_year) for m in ended if m.escalated)  # type: ignore[misc]
        ),
    )


def cohort_survival(
    members: Iterable[CohortMember],
    *,
    cohort_year: int,
    through_year: int,
    statuses: Sequence[str] | None = None,
) -> tuple[CohortSurvival, ...]:
    """Survival tables of the designations entered in ``cohort_year``, per status and for all.

    Parameters
    ----------
    members : iterable of CohortMember
        Designations of any year; only those entered in ``cohort_year`` are used.
    cohort_year : int
    through_year : int
        The last year of the tables (at least ``cohort_year``).
    statuses : sequence of str, optional
        The statuses to tabulate, in order (default: those present, sorted). A status with no
        school gives an empty table.

    Returns
    -------
    tuple of CohortSurvival
        One per status, then ``"all"`` when there is more than one status.
    """
    if through_year < cohort_year:
        raise ValueError(
            f"through_year ({through_year}) must not be before cohort_year ({cohort_year})"
        )
    cohort = [m for m in members if m.entered_year == cohort_year]
    seen = {m.school_id + "\x00" + m.status for m in cohort}
    if len(seen) != len(cohort):
        raise ValueError("a school appears twice in the same status and cohort year")
    wanted = list(statuses) if statuses is not None else sorted({m.status for m in cohort})
    out = [
        _survival([m for m in cohort if m.status == s], cohort_year, through_year, s)
        for s in wanted
    ]
    if len(wanted) > 1:
        chosen = [m for m in cohort if m.status in wanted]
        out.append(_survival(chosen, cohort_year, through_year, ALL_STATUSES))
    return tuple(out)
