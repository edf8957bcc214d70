"""Consecutive years a school has held a designation, across paused years.

A designation (Level 4, CSI, a Texas campus turnaround plan …) is held from the year it was
entered until the year it ends (exit or escalation). Its *years in status* count the years of that
span in which the school was actually rated: a year with no accountability at all (2020 and 2021),
a year the school was not rated, or a held-harmless year neither counts nor resets the count
(``reference/accountability.md`` §8; the Colorado clock and the Texas counter behave the same).

The count is the shared counter of :mod:`turnaround.analytics.accountability.ratings` applied to
the designation's years, each ``in`` or ``pause``::

    >>> designation_years(entered_year=2016, as_of_year=2022, paused_years=[2020, 2021]).count
    5
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from turnaround.analytics.accountability.ratings import IN, PAUSE, consecutive_count

YEAR_MIN, YEAR_MAX = 1990, 2100


@dataclass(frozen=True)
class YearsInStatus:
    """How long a designation has been held by a year.

    Attributes
    ----------
    count : int
        Years in status so far: the counted years (paused years left out).
    counted : tuple of int
        The years that counted, oldest first.
    paused : tuple of int
        Years of the span that did not count (not rated, held harmless, no accountability).
    entered_year : int
    through_year : int or None
        The last year considered: ``as_of_year``, or the year before the designation ended;
        None when ``as_of_year`` is before the designation was entered.
    ended : bool
        True when the designation ended (exit or escalation) on or before ``as_of_year``.
    """

    count: int
    counted: tuple[int, ...]
    paused: tuple[int, ...]
    entered_year: int
    through_year: int | None
    ended: bool

    def describe(self) -> str:
        """The count in words, naming the paused years (``"3 years (2020, 2021 not counted)"``)."""
        noun = "year" if self.count == 1 else "years"
        text = f"{self.count} {noun}"
        if self.paused:
            shown = ", ".join(str(y) for y in self.paused)
            text += f" ({shown} not counted: no rating that year)"
        return text


def _check_year(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number (a spring year), got {value!r}")
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise ValueError(f"{name} must be between {YEAR_MIN} and {YEAR_MAX}, got {value}")
    return value


def designation_years(
    *,
    entered_year: int,
    as_of_year: int,
    exited_year: int | None = None,
    paused_years: Iterable[int] = (),
) -> YearsInStatus:
    """Years a designation has been held by ``as_of_year``, paused years left out.

    Parameters
    ----------
    entered_year : int
        The first year in status (spring year).
    as_of_year : int
        The year to count through (included).
    exited_year : int, optional
        The first year no longer in status (exit or escalation); must be after
        ``entered_year``. Years from it on do not count.
    paused_years : iterable of int
        Years in which the school was not rated (no accountability that year, not rated, held
        harmless): they neither count nor reset. Years outside the span are ignored.

    Returns
    -------
    YearsInStatus

    Raises
    ------
    ValueError
        For a year outside 1990–2100 or an exit not after the entry.
    """
    entered = _check_year("entered_year", entered_year)
    as_of = _check_year("as_of_year", as_of_year)
    if exited_year is not None:
        exited = _check_year("exited_year", exited_year)
        if exited <= entered:
            raise ValueError(
                f"exited_year ({exited}) must be after entered_year ({entered}): a designation "
                "lasts at least one year"
            )
    paused = {_check_year("paused year", y) for y in paused_years}
    last = as_of if exited_year is None else min(as_of, exited_year - 1)
    ended = exited_year is not None and exited_year <= as_of
    if last < entered:
        return YearsInStatus(0, (), (), entered, None, ended)
    years = list(range(entered, last + 1))
    states = [PAUSE if y in paused else IN for y in years]
    steps = consecutive_count(years, states)
    counted = tuple(y for y, s in zip(years, states, strict=True) if s == IN)
    skipped = tuple(y for y, s in zip(years, states, strict=True) if s == PAUSE)
    return YearsInStatus(steps[-1].count, counted, skipped, entered, last, ended)
