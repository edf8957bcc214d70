"""Years in status across gaps (accountability.md §8), worked by hand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from turnaround.analytics.accountability.status_years import designation_years


def test_counts_every_year_from_entry_through_the_year() -> None:
    y = designation_years(entered_year=2014, as_of_year=2017)
    assert (y.count, y.counted, y.paused, y.through_year, y.ended) == (
        4,
        (2014, 2015, 2016, 2017),
        (),
        2017,
        False,
    )


def test_paused_years_neither_count_nor_reset() -> None:
    y = designation_years(entered_year=2018, as_of_year=2023, paused_years=[2020, 2021])
    assert y.count == 4 and y.counted == (2018, 2019, 2022, 2023)
    assert y.paused == (2020, 2021)
    assert y.describe() == "4 years (2020, 2021 not counted: no rating that year)"


def test_a_paused_first_year_starts_the_count_the_year_after() -> None:
    y = designation_years(entered_year=2015, as_of_year=2017, paused_years={2015, 2019, 2001})
    assert (y.count, y.counted, y.paused) == (2, (2016, 2017), (2015,))


def test_exit_ends_the_count_the_year_before() -> None:
    y = designation_years(entered_year=2012, as_of_year=2020, exited_year=2016)
    assert (y.count, y.through_year, y.ended) == (4, 2015, True)
    assert designation_years(entered_year=2012, as_of_year=2014, exited_year=2016).ended is False


def test_before_entry_nothing_counts() -> None:
    y = designation_years(entered_year=2016, as_of_year=2014)
    assert (y.count, y.through_year, y.describe()) == (0, None, "0 years")


def test_all_paused_counts_zero() -> None:
    y = designation_years(entered_year=2020, as_of_year=2021, paused_years=[2020, 2021])
    assert y.count == 0 and y.describe().startswith("0 years")


def test_one_year_reads_singular() -> None:
    assert designation_years(entered_year=2017, as_of_year=2017).describe() == "1 year"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entered_year": 2016, "as_of_year": 2017, "exited_year": 2016}, "must be after"),
        ({"entered_year": 1800, "as_of_year": 2017}, "between 1990 and 2100"),
        ({"entered_year": 2016, "as_of_year": 2017, "paused_years": [3000]}, "paused year"),
    ],
)
def test_refuses_impossible_years(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        designation_years(**kwargs)


def test_refuses_non_integers() -> None:
    with pytest.raises(TypeError, match="whole number"):
        designation_years(entered_year=2016.0, as_of_year=2017)  # type: ignore[arg-type]


def test_brute_force_agrees() -> None:
    """Against a direct count: every span and every pause pattern of a decade."""
    import itertools

    for entered in range(2010, 2014):
        for exited in (None, 2015, 2019):
            for pauses in itertools.combinations(range(2010, 2020), 2):
                for as_of in (2012, 2016, 2019):
                    last = as_of if exited is None else min(as_of, exited - 1)
                    expected = sum(1 for y in range(entered, last + 1) if y not in pauses)
                    got = designation_years(
                        entered_year=entered,
                        as_of_year=as_of,
                        exited_year=exited,
                        paused_years=pauses,
                    )
                    assert got.count == expected


def test_modules_import_without_django() -> None:
    code = (
        "import sys; import turnaround.analytics.accountability.status_years, "
        "turnaround.analytics.accountability.exit_criteria, "
        "turnaround.analytics.accountability.cohorts, "
        "turnaround.analytics.accountability.indicators, "
        "turnaround.analytics.accountability.designation_rules; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
