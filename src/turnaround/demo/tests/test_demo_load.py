"""The demo state: real 2017 values as published, a deterministic synthetic history, logins."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.accounts.models import Membership, User
from turnaround.audit.models import AuditEvent
from turnaround.demo import services
from turnaround.demo.ma_profiles import PROFILES_FILE, ProfileFileError, profiles_read
from turnaround.demo.services import DemoAlreadyLoaded, demo_load, demo_users_create
from turnaround.organizations.models import (
    District,
    PartnerOrganization,
    School,
    State,
)
from turnaround.partners.models import Engagement
from turnaround.performance.models import (
    AssessmentResult,
    DataSource,
    SchoolYearProfile,
    StudentAssessment,
)

ABINGTON_HIGH = "00010505"
PASSWORD = "demo-pass-123456"
SMALL = {"schools": 40, "student_share": 0.05, "include_schools": (ABINGTON_HIGH,)}
GRADE_WORD = {"03": "3rd", "04": "4th", "05": "5th", "06": "6th", "07": "7th", "08": "8th"}
GRADE_WORD["10"] = "10th"


def csv_rows() -> dict[str, dict[str, str]]:
    """The file read independently of the importer: code → raw row."""
    with (settings.SHARED_DATA_DIR / PROFILES_FILE).open(newline="", encoding="utf-8") as f:
        return {row["School Code"]: row for row in csv.DictReader(f)}


def number(raw: str) -> float | None:
    return None if raw.strip() == "" else float(raw.replace(",", ""))


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every demo row by natural keys (no primary keys), sorted."""
    return {
        "schools": sorted(
            School.objects.values_list(
                "code",
                "name",
                "district__code",
                "school_type",
                "grade_low",
                "grade_high",
                "title_i",
                "is_charter",
                "zip_code",
            )
        ),
        "results": sorted(
            AssessmentResult.objects.values_list(
                "school__code",
                "year",
                "subject",
                "grade",
                "group",
                "n_tested",
                "pct_level_1",
                "pct_level_2",
                "pct_level_3",
                "pct_level_4",
                "composite_index",
                "median_sgp",
                "sgp_n",
                "source__name",
            )
        ),
        "profiles": sorted(
            SchoolYearProfile.objects.values_list(
                "school__code",
                "year",
                "enrollment",
                "pct_high_needs",
                "pct_econ_disadv",
                "pct_hispanic",
                "graduation_rate_4yr",
            )
        ),
        "determinations": sorted(
            AccountabilityDetermination.objects.values_list(
                "school__code", "year", "label", "level", "reason", "percentile", "is_official"
            )
        ),
        "designations": sorted(
            Designation.objects.values_list("school__code", "status", "entered_year", "exited_year")
        ),
        "students": sorted(
            StudentAssessment.objects.values_list(
                "student_key",
                "school__code",
                "year",
                "grade",
                "subject",
                "scale_score",
                "achievement_level",
                "is_high_needs",
                "is_el",
                "is_swd",
                "race",
            )
        ),
        "assignments": sorted(Engagement.objects.values_list("school__code", "ends_on")),
    }


# --------------------------------------------------------------------------------------------
# The file


def test_profiles_file_reads_with_string_ids_and_blanks_as_none() -> None:
    profiles = profiles_read(settings.SHARED_DATA_DIR / PROFILES_FILE)
    assert len(profiles) == 1861
    abington = next(p for p in profiles if p.school_code == ABINGTON_HIGH)
    assert abington.district_code == "00010000" and abington.zip_code == "02351"
    assert (abington.level, abington.accountability_percentile) == (1, 42)
    assert (abington.ppi_all, abington.ppi_high_needs) == (76.0, 75.0)
    assert abington.pct_econ_disadv == 21.5  # 97 of 452 students, not the shuffled 94.4
    math10 = next(r for r in abington.mcas if r.subject == "MATH")
    assert (math10.grade, math10.n_included, math10.cpi, math10.median_sgp) == (
        "10",
        125,
        94.2,
        52.5,
    )
    assert abington.pct_graduated == 94.7
    # a blank stays None, never 0
    no_sgp = next(r for p in profiles for r in p.mcas if r.grade == "03")
    assert no_sgp.median_sgp is None and no_sgp.sgp_n is None


def test_bad_ids_and_missing_columns_are_reported_with_row_numbers(tmp_path: Path) -> None:
    source = (settings.SHARED_DATA_DIR / PROFILES_FILE).read_text(encoding="utf-8").splitlines()
    header, first, second = source[0], source[1], source[2]
    broken = tmp_path / "profiles.csv"
    broken.write_text(
        "\n".join([header, first.replace("00010505", "10505", 1), second]) + "\n", encoding="utf-8"
    )
    with pytest.raises(ProfileFileError) as info:
        profiles_read(broken)
    assert info.value.errors[0].row == 2
    assert info.value.errors[0].column == "School Code"
    assert "row 2" in str(info.value) and "eight digits" in str(info.value)

    no_zip = tmp_path / "no-zip.csv"
    no_zip.write_text(header.replace(",Zip,", ",Postcode,") + "\n" + first + "\n", encoding="utf-8")
    with pytest.raises(ProfileFileError, match="row 1, column 'Zip'"):
        profiles_read(no_zip)


# --------------------------------------------------------------------------------------------
# Loading


@pytest.mark.django_db
def test_small_load_keeps_the_real_2017_values_exactly() -> None:
    summary = demo_load(**SMALL)
    state = State.objects.get(code="MA")
    assert (state.fips, state.name, summary.state_id) == ("25", "Massachusetts", state.pk)
    assert School.objects.count() == summary.schools == 40  # the included school among them
    codes = set(School.objects.values_list("code", flat=True))
    assert District.objects.count() == len({c[:4] for c in codes}) == summary.districts
    raw = csv_rows()

    abington = School.objects.get(code=ABINGTON_HIGH)
    assert (abington.school_type, abington.grade_low, abington.grade_high) == ("HS", "09", "12")
    assert (abington.zip_code, abington.town, abington.district.name) == (
        "02351",
        "Abington",
        "Abington",
    )
    official = abington.determinations.get(year=2017)
    assert (official.label, official.level, official.percentile) == ("Level 1", 1, 42)
    assert (official.ppi_all, official.ppi_high_needs) == (76.0, 75.0)
    assert official.reason == "Meeting gap narrowing goals" and official.is_official
    assert official.ruleset == "ma-2012"

    # every published 2017 grade row of every loaded school, value for value
    checked = 0
    for row in AssessmentResult.objects.filter(year=2017, group="all").exclude(grade="ALL"):
        csv_row = raw[row.school.code]
        word = "English" if row.subject == "ELA" else "Math"
        prefix = f"MCAS_{GRADE_WORD[row.grade]}Grade_{word}_"
        assert row.n_tested == number(csv_row[prefix + "Stud. Incl. #"])
        assert row.pct_level_4 == number(csv_row[f"% {prefix}A"])
        assert row.pct_level_3 == number(csv_row[f"% {prefix}P"])
        assert row.pct_level_2 == number(csv_row[f"% {prefix}NI"])
        assert row.pct_level_1 == number(csv_row[f"% {prefix}W/F"])
        assert row.composite_index == number(csv_row[prefix + "CPI"])
        assert row.median_sgp == number(csv_row[prefix + "SGP"])
        assert row.sgp_n == number(csv_row[prefix + "Incl. in SGP(#)"])
        if row.median_sgp is None:
            assert row.missing_reasons["median_sgp"] in ("missing", "not_applicable")
        assert not row.source.is_synthetic
        checked += 1
    assert checked > 0
    for det in AccountabilityDetermination.objects.filter(year=2017):
        csv_row = raw[det.school.code]
        assert det.label == csv_row["Accountability and Assistance Level"]
        assert det.percentile == number(csv_row["School Accountability Percentile (1-99)"])
        assert det.ppi_all == number(csv_row["Progress and Performance Index (PPI) - All Students"])
    blank = [c for c in codes if raw[c]["Accountability and Assistance Level"] == ""]
    assert not AccountabilityDetermination.objects.filter(
        school__code__in=blank, year=2017
    ).exists()

    # the derived 2017 'ALL' row: Abington tests grade 10 only, so it equals grade 10
    derived = AssessmentResult.objects.get(
        school=abington, year=2017, subject="MATH", grade="ALL", group="all"
    )
    assert derived.pct_level_4 == pytest.approx(100 * 73 / 125)
    assert (derived.n_tested, derived.composite_index, derived.median_sgp, derived.sgp_n) == (
        125,
        94.2,
        52.5,
        114,
    )

    profile = SchoolYearProfile.objects.get(school=abington, year=2017)
    assert (profile.enrollment, profile.pct_high_needs, profile.pct_econ_disadv) == (
        452,
        28.8,
        21.5,
    )
    assert SchoolYearProfile.objects.filter(school=abington).count() == 7

    real = DataSource.objects.get(name="Massachusetts DESE school profiles 2017")
    digest = hashlib.sha256((settings.SHARED_DATA_DIR / PROFILES_FILE).read_bytes()).hexdigest()
    assert (real.publisher, real.vintage, real.checksum) == ("Massachusetts DESE", "2017", digest)
    assert real.file_name == "MA_Public_Schools_2017.csv" and not real.is_synthetic
    assert DataSource.objects.get(name="Synthetic demo history (seed 2017)").is_synthetic

    note = state.data_note
    for phrase in (
        "DESE 2017",
        "2017 MCAS results",
        "2011–2016 results",
        "2012–2016 levels",
        "student-level scores",
        "Title I",
        "designations",
        "weighted mean of the published grade medians",
    ):
        assert phrase in note


@pytest.mark.django_db
def test_small_load_has_a_synthetic_history_designations_and_exits() -> None:
    summary = demo_load(**SMALL)
    levels = dict(
        AccountabilityDetermination.objects.filter(year=2017).values_list("school__code", "level")
    )
    assert {4, 5} & set(levels.values()) and {1, 2, 3} <= set(levels.values())
    designated_2017 = {c for c, lv in levels.items() if lv in (4, 5)}
    still_in = set(
        Designation.objects.filter(exited_year__isnull=True).values_list("school__code", flat=True)
    )
    assert designated_2017 == still_in
    exited = Designation.objects.filter(exited_year__isnull=False)
    assert exited.exists() and summary.designations_exited == exited.count()
    for des in exited:
        assert des.entered_year in (2011, 2012) and 2014 <= des.exited_year <= 2016
        assert levels[des.school.code] in (1, 2)
        proficient = {
            r.year: r.pct_level_3 + r.pct_level_4
            for r in AssessmentResult.objects.filter(
                school=des.school, subject="MATH", grade="ALL", group="all"
            )
        }
        # the exit shows in the data: 2017 well above the year it was designated
        assert proficient[2017] > proficient[des.entered_year] + 10
        while_in = des.school.determinations.filter(
            year__gte=max(2012, des.entered_year), year__lt=des.exited_year
        )
        assert set(while_in.values_list("level", flat=True)) == {4}

    synthetic = AccountabilityDetermination.objects.filter(is_official=False)
    assert set(synthetic.values_list("year", flat=True)) == {2012, 2013, 2014, 2015, 2016}
    assert set(synthetic.values_list("ruleset", flat=True)) == {"ma-2012"}
    assert synthetic.filter(level=3, reason="Among lowest performing 20% of schools").exists()

    history = AssessmentResult.objects.filter(year__lt=2017, group="all")
    assert history.exists() and not history.exclude(source__is_synthetic=True).exists()
    groups = AssessmentResult.objects.exclude(group="all")
    assert groups.filter(n_tested__gte=3, n_tested__lte=9).exists()  # small groups exist
    assert not groups.filter(n_tested__lt=1).exists()
    assert not groups.exclude(source__is_synthetic=True).exists()

    students = StudentAssessment.objects.all()
    assert students.exists() and summary.student_records == students.count()
    student_schools = set(students.values_list("school__code", flat=True))
    assert student_schools & (designated_2017 | set(exited.values_list("school__code", flat=True)))
    assert not students.exclude(source__is_synthetic=True).exists()

    event = AuditEvent.objects.get(action="load")
    assert event.actor is None and event.changes["schools"] == 40
    assert event.changes["results"] == AssessmentResult.objects.count()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not() -> None:
    demo_load(**SMALL)
    first = snapshot()
    demo_load(**SMALL, reset=True)
    assert snapshot() == first
    demo_load(**{**SMALL, "seed": 99}, reset=True)
    other = snapshot()
    assert other["results"] != first["results"]
    # the seed changes the subset and the synthetic figures, never a published value
    common = {r[0] for r in first["schools"]} & {r[0] for r in other["schools"]}
    assert ABINGTON_HIGH in common

    def published(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r for r in rows if r[0] in common and r[1] == 2017 and r[3] != "ALL"]

    assert published(other["results"]) == published(first["results"])


@pytest.mark.django_db
def test_loading_twice_needs_reset_which_replaces_the_demo() -> None:
    demo_load(**SMALL)
    counts = (School.objects.count(), AssessmentResult.objects.count())
    with pytest.raises(DemoAlreadyLoaded, match="reset"):
        demo_load(**SMALL)
    assert (School.objects.count(), AssessmentResult.objects.count()) == counts
    demo_users_create(password=PASSWORD)
    demo_load(schools=20, student_share=0.0, reset=True)
    assert State.objects.filter(code="MA").count() == 1
    assert School.objects.count() == 20
    assert StudentAssessment.objects.count() == 0
    assert DataSource.objects.count() == 2  # the old sources went with their rows
    assert PartnerOrganization.objects.filter(name="Demo Turnaround Partners").count() == 1
    assert User.objects.filter(username="state.admin").exists()  # people stay …
    assert not Membership.objects.filter(user__username="school.leader").exists()  # … roles go
    assert AuditEvent.objects.filter(action="delete", object_repr__contains="reset").exists()


@pytest.mark.django_db
def test_a_failure_midway_leaves_nothing_written(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_students_create", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        demo_load(**SMALL)
    for model in (
        State,
        District,
        School,
        AssessmentResult,
        SchoolYearProfile,
        AccountabilityDetermination,
        Designation,
        DataSource,
        PartnerOrganization,
        Engagement,
        AuditEvent,
    ):
        assert not model.objects.exists(), model.__name__


def test_invalid_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="student_share"):
        demo_load(student_share=2.0)
    with pytest.raises(ValueError, match="schools"):
        demo_load(schools=0)


# --------------------------------------------------------------------------------------------
# Logins


@pytest.mark.django_db
def test_demo_users_one_per_role_with_the_right_memberships() -> None:
    demo_load(**SMALL)
    logins = demo_users_create(password=PASSWORD)
    assert [x.username for x in logins] == [
        "state.admin",
        "state.staff",
        "ta.provider",
        "reviewer",
        "viewer",
        "district.leader",
        "school.leader",
        "partner.staff",
    ]
    state = State.objects.get(code="MA")
    for username, role in [
        ("state.admin", "state_admin"),
        ("state.staff", "state_staff"),
        ("ta.provider", "ta_provider"),
        ("reviewer", "reviewer"),
        ("viewer", "viewer"),
    ]:
        membership = Membership.objects.get(user__username=username)
        assert (membership.role, membership.state) == (role, state)

    # the demo district has the most 2017 Level 4/5 schools among those loaded
    designated = AccountabilityDetermination.objects.filter(year=2017, level__in=(4, 5))
    per_district: dict[str, int] = {}
    for code in designated.values_list("school__district__code", flat=True):
        per_district[code] = per_district.get(code, 0) + 1
    top = min(per_district, key=lambda c: (-per_district[c], c))
    leader = Membership.objects.get(user__username="district.leader")
    assert (leader.role, leader.district.code) == ("district_leader", top)
    principal = Membership.objects.get(user__username="school.leader")
    assert principal.role == "school_leader" and principal.school.district == leader.district
    assert principal.school.determinations.get(year=2017).level == 4
    partner = Membership.objects.get(user__username="partner.staff")
    assert (partner.role, partner.partner.name) == ("partner_staff", "Demo Turnaround Partners")
    today = dt.date.today()
    served = Engagement.objects.filter(partner=partner.partner)
    assert served.count() == 3
    for a in served:
        assert a.school.district == leader.district and a.starts_on <= today <= a.ends_on

    # running again updates the passwords instead of failing
    again = demo_users_create(password="another-demo-pass-987")
    assert len(again) == 8 and Membership.objects.count() == 8
    assert User.objects.get(username="viewer").check_password("another-demo-pass-987")


@pytest.mark.django_db
def test_demo_command_runs_twice_and_prints_the_logins() -> None:
    out = StringIO()
    args = ["--schools", "15", "--student-share", "0", "--password", PASSWORD]
    call_command("demo", *args, stdout=out, stderr=StringIO())
    first = out.getvalue()
    assert "Loaded the demo state" in first and "school.leader" in first and PASSWORD in first
    out = StringIO()
    call_command("demo", *args, stdout=out, stderr=StringIO())
    assert "already loaded" in out.getvalue() and "partner.staff" in out.getvalue()
    assert "http://127.0.0.1:8000/" in out.getvalue()
    assert School.objects.count() == 15


@pytest.mark.django_db
def test_the_ungraded_school_is_loaded_as_ungraded() -> None:
    """Peter Fitzpatrick School has no grade span in the file; it is kept, not skipped."""
    fitzpatrick = "07350515"
    summary = demo_load(schools=10, student_share=0.0, include_schools=(fitzpatrick,))
    school = School.objects.get(code=fitzpatrick)
    assert (school.grade_low, school.grade_high, school.grade_span) == ("", "", "Ungraded")
    assert school.school_type == "OTHER"
    assert not summary.skipped


@pytest.mark.django_db
def test_demo_assessments_are_seeded_once_and_survive_a_reset() -> None:
    from turnaround.assessments.models import Assessment
    from turnaround.demo.services import demo_assessments_create

    with pytest.raises(LookupError, match="not loaded"):
        demo_assessments_create()
    demo_load(**SMALL)
    demo_users_create(password=PASSWORD)
    count = demo_assessments_create()
    assert count >= 4
    finalised = Assessment.objects.filter(status="finalised", kind="site_visit")
    assert finalised.count() == 2
    assert {a.school.name for a in finalised} == {
        Membership.objects.get(user__username="school.leader").school.name
    }
    assert demo_assessments_create() == count  # idempotent
    demo_load(**SMALL, reset=True)  # the protected schools are deleted with their assessments
    assert Assessment.objects.count() == 0
