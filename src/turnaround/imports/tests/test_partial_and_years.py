"""Partial tables keep what the file does not carry; an older directory never rolls schools back;
published Texas ratings imported here feed the ``tx-a-f`` identification run."""

from __future__ import annotations

from pathlib import Path

import pytest

from turnaround.accountability.models import AccountabilityDetermination, IdentificationRun
from turnaround.accountability.services.runs import identification_compute
from turnaround.imports.models import ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.tests.test_writers import Run, chunk
from turnaround.organizations.models import School, State
from turnaround.performance.models import DataSource, SchoolYearProfile

pytestmark = pytest.mark.django_db

CA_GRAD_HEADER = (
    "cds\trtype\tschoolname\tdistrictname\tcountyname\tcharter_flag\tcoe_flag\tdass_flag\t"
    "studentgroup\tcurrdenom\tcurrstatus\tcurrnumer\tpriordenom\tpriorstatus\tpriornumer\t"
    "change\tstatuslevel\tchangelevel\tcolor\tbox\treportingyear"
)
TX_HEADER = (
    "CAMPUS,CAMPNAME,CDALLS,CFLALTED,CFLCHART,C_RATING,C_YRS_IR,DISTNAME,DISTRICT,GRDHIGH,GRDLOW"
)


def tx_file(write, year: int, *rows: str) -> Path:
    return write("\n".join([TX_HEADER, *rows]) + "\n", f"CAMPRATE_{year}.csv")


@pytest.fixture
def texas():
    return State.objects.create(code="TX", fips="48", name="Texas")


# --- 1. partial tables ---------------------------------------------------------------------------


def test_a_partial_profile_chunk_keeps_the_columns_it_does_not_carry(org):
    school = School.objects.get(code="00350002")
    source = DataSource.objects.create(name="earlier", publisher="tests")
    SchoolYearProfile.objects.create(
        school=school,
        year=2018,
        enrollment=800,
        pct_el=12.5,
        graduation_rate_4yr=None,
        dropout_rate=None,
        missing_reasons={"dropout_rate": "suppressed", "graduation_rate_4yr": "missing"},
        source=source,
    )
    frame = chunk("profiles", {"school_code": "00350002", "year": 2018, "graduation_rate_4yr": 91})
    columns = ("school_code", "year", "graduation_rate_4yr", "missing")
    run = Run(org, "profiles", commit=True)
    run.writer.feed(frame, columns=columns)
    run.writer.close()
    assert run.writer.summary.changed == 1
    assert set(run.writer.summary.fields) == {"graduation_rate_4yr", "missing_reasons"}
    stored = SchoolYearProfile.objects.get(school=school, year=2018)
    assert (stored.enrollment, stored.pct_el, stored.graduation_rate_4yr) == (800, 12.5, 91.0)
    assert stored.missing_reasons == {"dropout_rate": "suppressed"}


def test_a_provided_but_suppressed_value_replaces_the_stored_one(org):
    school = School.objects.get(code="00350002")
    source = DataSource.objects.create(name="earlier", publisher="tests")
    SchoolYearProfile.objects.create(
        school=school, year=2018, enrollment=800, graduation_rate_4yr=88.0, source=source
    )
    frame = chunk(
        "profiles",
        {"school_code": "00350002", "year": 2018, "missing": {"graduation_rate_4yr": "suppressed"}},
    )
    run = Run(org, "profiles", commit=True)
    run.writer.feed(frame, columns=("school_code", "year", "graduation_rate_4yr", "missing"))
    run.writer.close()
    stored = SchoolYearProfile.objects.get(school=school, year=2018)
    assert (stored.enrollment, stored.graduation_rate_4yr) == (800, None)
    assert stored.missing_reasons == {"graduation_rate_4yr": "suppressed"}


def test_a_full_chunk_still_replaces_every_column(org):
    school = School.objects.get(code="00350002")
    source = DataSource.objects.create(name="earlier", publisher="tests")
    SchoolYearProfile.objects.create(school=school, year=2018, enrollment=800, source=source)
    run = Run(org, "profiles", commit=True)(
        chunk("profiles", {"school_code": "00350002", "year": 2018, "graduation_rate_4yr": 91})
    )
    assert not run.problems
    assert SchoolYearProfile.objects.get(school=school, year=2018).enrollment is None


def test_a_chunk_must_name_its_key_columns_and_only_target_columns(org):
    run = Run(org, "profiles")
    frame = chunk("profiles", {"school_code": "00350002", "year": 2018})
    with pytest.raises(ValueError, match="key columns"):
        run.writer.feed(frame, columns=("school_code", "enrollment"))
    with pytest.raises(ValueError, match="does not have"):
        run.writer.feed(frame, columns=("school_code", "year", "shoe_size"))


def test_the_graduation_reader_names_only_the_rate(tmp_path):
    path = tmp_path / "graddownload2018.txt"
    row = "\t".join(
        ["01611190130229", "S", "Alameda High", "Alameda Unified", "Alameda", "N", "N", "N", "ALL"]
        + ["400", "95.5", "382", "390", "94.1", "367", "1.4", "5", "3", "5", "", "2018"]
    )
    path.write_text(CA_GRAD_HEADER + "\n" + row + "\n", encoding="latin-1")
    read = list(READERS["ca-essa"].read(path, options={}))
    assert [c.columns for c in read] == [("school_code", "year", "graduation_rate_4yr", "missing")]


def test_a_graduation_import_keeps_enrolment_and_demographics(org, run_import, write):
    ca = State.objects.create(code="CA", fips="06", name="California")
    school = School.objects.create(
        district=org.district.__class__.objects.create(state=ca, code="0161119", name="Alameda"),
        code="01611190130229",
        name="Alameda High",
        school_type="HS",
    )
    source = DataSource.objects.create(name="earlier", publisher="tests")
    SchoolYearProfile.objects.create(
        school=school, year=2018, enrollment=1800, pct_econ_disadv=31.0, source=source
    )
    row = "\t".join(
        ["01611190130229", "S", "Alameda High", "Alameda Unified", "Alameda", "N", "N", "N", "ALL"]
        + ["400", "95.5", "382", "390", "94.1", "367", "1.4", "5", "3", "5", "", "2018"]
    )
    path = write(CA_GRAD_HEADER + "\n" + row + "\n", "graddownload2018.txt")
    job = run_import(path, reader="ca-essa", state=ca)
    assert job.status == ImportJob.Status.COMMITTED, job.problems
    stored = SchoolYearProfile.objects.get(school=school, year=2018)
    assert (stored.enrollment, stored.pct_econ_disadv) == (1800, 31.0)
    assert stored.graduation_rate_4yr == 95.5


# --- 2. directory years --------------------------------------------------------------------------

CAYUGA_2019 = '"001902001","CAYUGA H S",95,"N","N","A",.,"CAYUGA ISD","001902","12","09"'
CAYUGA_2018 = (
    '"001902001","CAYUGA HIGH",90,"N","N","Met Standard",.,"CAYUGA ISD","001902","12","07"'
)
ELKHART_2018 = (
    '"001903001","ELKHART H S",70,"N","N","Met Standard",.,"ELKHART ISD","001903","12","09"'
)


def test_an_older_directory_does_not_roll_schools_back(texas, run_import, write):
    newer = run_import(tx_file(write, 2019, CAYUGA_2019), reader="tx-camprate", state=texas)
    assert newer.status == ImportJob.Status.COMMITTED, newer.problems
    cayuga = School.objects.get(code="001902001")
    assert (cayuga.name, cayuga.grade_low, cayuga.directory_year) == ("CAYUGA H S", "09", 2019)

    older = run_import(
        tx_file(write, 2018, CAYUGA_2018, ELKHART_2018), reader="tx-camprate", state=texas
    )
    assert older.status == ImportJob.Status.COMMITTED, older.problems
    schools = older.summary["schools"]
    assert (schools["new"], schools["changed"], schools["kept_newer"]) == (1, 0, 1)
    kept = next(r for r in older.preview["schools"] if r["school_code"] == "001902001")
    assert kept["_action"] == "kept: newer data stored"
    cayuga.refresh_from_db()
    assert (cayuga.name, cayuga.grade_low, cayuga.directory_year) == ("CAYUGA H S", "09", 2019)
    elkhart = School.objects.get(code="001903001")
    assert (elkhart.name, elkhart.directory_year) == ("ELKHART H S", 2018)
    # the older year's ratings are still stored: they are a different year's rows
    assert AccountabilityDetermination.objects.filter(
        school=cayuga, year=2018, ruleset="tx-a-f", is_official=True
    ).exists()


def test_a_newer_directory_updates_and_a_file_without_a_year_behaves_as_before(org):
    school = School.objects.get(code="00350001")
    school.directory_year = 2018
    school.save(update_fields=["directory_year"])
    base = {
        "state": "MA",
        "district_code": org.district.code,
        "district_name": org.district.name,
        "school_code": "00350001",
        "school_type": school.school_type,
    }
    older = Run(org, "schools", commit=True)(
        chunk("schools", {**base, "school_name": "Old", "year": 2017})
    )
    assert older.writer.summary.extra["kept_newer"] == 1
    school.refresh_from_db()
    assert school.name != "Old"
    undated = Run(org, "schools", commit=True)(chunk("schools", {**base, "school_name": "Undated"}))
    assert undated.writer.summary.changed == 1
    school.refresh_from_db()
    assert (school.name, school.directory_year) == ("Undated", 2018)
    newer = Run(org, "schools", commit=True)(
        chunk("schools", {**base, "school_name": "New", "year": 2019})
    )
    assert newer.writer.summary.changed == 1
    school.refresh_from_db()
    assert (school.name, school.directory_year) == ("New", 2019)


# --- 4. published Texas ratings feed the identification run ---------------------------------------


def test_imported_camprate_ratings_feed_the_tx_identification_run(
    texas, run_import, write, personas
):
    rows = {
        2018: (
            '"001902001","CAYUGA H S",55,"N","N","Improvement Required",1,'
            '"CAYUGA ISD","001902","12","09"',
            '"001902041","CAYUGA MIDDLE",83,"N","N","Met Standard",.,'
            '"CAYUGA ISD","001902","08","06"',
        ),
        2019: (
            '"001902001","CAYUGA H S",52,"N","N","F",2,"CAYUGA ISD","001902","12","09"',
            '"001902041","CAYUGA MIDDLE",91,"N","N","A",.,"CAYUGA ISD","001902","08","06"',
        ),
    }
    for year, lines in rows.items():
        job = run_import(tx_file(write, year, *lines), reader="tx-camprate", state=texas)
        assert job.status == ImportJob.Status.COMMITTED, job.problems
    published = AccountabilityDetermination.objects.get(
        school__code="001902001", year=2019, ruleset="tx-a-f", is_official=True
    )
    assert published.inputs["score"] == 52 and published.inputs["published_count"] == 2
    run = identification_compute(
        actor=personas.state_admin,
        state=texas,
        ruleset="tx-a-f",
        year=2019,
        params={},
    )
    assert run.status == IdentificationRun.Status.DONE, run.message
    computed = {
        d.school.code: d
        for d in AccountabilityDetermination.objects.filter(
            school__district__state=texas, ruleset="tx-a-f", year=2019, is_official=False
        ).select_related("school")
    }
    assert set(computed) == {"001902001", "001902041"}
    assert computed["001902001"].label == "F"
    assert computed["001902041"].label == "A"
    assert computed["001902001"].years_in_status == 2  # 2018 and 2019 unacceptable
