"""The school directory: districts and schools of the job's state, and their NCES identifiers.

A school is matched by its state code within the state (a district by its code). A value the file
does not give — an empty NCES id, grade span, address, or Title I ``unknown`` — leaves the stored
value as it is, so a layout that lacks a column never erases what another layout loaded; so does
a column the file does not provide at all (``Chunk.columns``: a partial table). A new
school without a type gets one from its grade span. NCES ids are unique across the platform: an
id already held by another school (or district) is a problem, not a silent move. Closed schools
are flagged (``is_open`` false), never deleted.

Each school remembers the year of the directory data its fields came from
(``School.directory_year``). A file of an older year (its ``year`` column) never rolls a school
back: its rows about schools with newer directory data are counted as kept (``kept_newer``) and
change nothing, while schools it names that do not exist yet are still created. A file without a
year changes schools as any other file and leaves their directory year as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.db.models import F

from turnaround.imports.writers import values as v
from turnaround.imports.writers.base import Writer, batched
from turnaround.organizations.grades import GRADE_CODES, normalise_grade, school_type_for
from turnaround.organizations.models import (
    District,
    IdentifierSystem,
    OrgIdentifier,
    School,
    SchoolType,
    TitleIStatus,
)

CODE_PATTERN = r"[0-9A-Za-z-]{1,20}"
CODE_RULE = "a code is 1–20 letters, digits or dashes"
#: School fields an import may set, in the order changes are listed.
SCHOOL_FIELDS = (
    "district_id",
    "name",
    "nces_id",
    "school_type",
    "grade_low",
    "grade_high",
    "title_i",
    "is_charter",
    "town",
    "address",
    "zip_code",
    "is_open",
    "directory_year",
)
#: School fields filled from another target column than their own name.
COLUMN_OF = {"district_id": "district_code", "name": "school_name", "directory_year": "year"}
#: Fields where an empty value in the file means "not given": the stored value stays.
KEEP_WHEN_EMPTY = ("nces_id", "school_type", "town", "address", "zip_code")


class SchoolsWriter(Writer):
    target = "schools"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._districts: dict[str, dict[str, Any]] | None = None
        self._schools: dict[str, dict[str, Any]] | None = None
        self._ambiguous: set[str] = set()
        self._district_seen: set[str] = set()
        self._nces_rows: dict[str, tuple[int, str]] = {}  # nces id → (row, school code)
        self._leaid_rows: dict[str, tuple[int, str]] = {}  # leaid → (row, district code)
        self.new_codes: set[str] = set()
        self.districts = {"new": 0, "changed": 0, "unchanged": 0}
        #: rows about schools whose stored directory data is newer than the file's
        self.kept_newer = 0

    # --- checks -------------------------------------------------------------------------------

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, v.Mask]:
        p = self.problems
        state = self.ctx.state.code
        rows = frame["_row"].to_numpy(np.int64)
        out = pd.DataFrame({"_row": frame["_row"]})
        out["state"], bad = v.texts(frame, "state", p, required=True, choices=(state,))
        for name, limit in (("district_code", None), ("school_code", None)):
            out[name], b = v.texts(
                frame,
                name,
                p,
                required=True,
                max_length=limit,
                pattern=CODE_PATTERN,
                describe=CODE_RULE,
            )
            bad |= b
        out["district_name"], b = v.texts(frame, "district_name", p, required=True, max_length=200)
        bad |= b
        out["school_name"], b = v.texts(frame, "school_name", p, required=True, max_length=200)
        bad |= b
        out["nces_leaid"], b = v.texts(
            frame, "nces_leaid", p, pattern=r"\d{7}", describe="an NCES LEAID is 7 digits"
        )
        bad |= b
        out["nces_id"], b = v.texts(
            frame, "nces_id", p, pattern=r"\d{12}", describe="an NCES school id is 12 digits"
        )
        bad |= b
        out["school_type"], b = v.texts(frame, "school_type", p, choices=SchoolType.values)
        bad |= b
        title, b = v.texts(frame, "title_i", p, choices=TitleIStatus.values)
        out["title_i"] = [t or TitleIStatus.UNKNOWN.value for t in title]
        bad |= b
        for name, limit in (("town", 100), ("address", 200), ("zip_code", 10)):
            out[name], b = v.texts(frame, name, p, max_length=limit)
            bad |= b
        out["is_charter"], b = v.flags(frame, "is_charter", p)
        bad |= b
        out["is_open"], b = v.flags(frame, "is_open", p, default=True)
        bad |= b
        year, b = v.numbers(frame, "year", p, minimum=1990, maximum=2100, whole=True)
        out["year"] = [None if np.isnan(y) else int(y) for y in year]
        bad |= b
        lows, highs = [], []
        for i, (low, high) in enumerate(zip(frame["grade_low"], frame["grade_high"], strict=True)):
            span = self._grades(low, high, int(rows[i]))
            bad[i] |= span is None
            lows.append(span[0] if span else "")
            highs.append(span[1] if span else "")
        out["grade_low"], out["grade_high"] = lows, highs
        for i, (nces, leaid) in enumerate(zip(out["nces_id"], out["nces_leaid"], strict=True)):
            if nces and leaid and not nces.startswith(leaid):
                p.add(
                    int(rows[i]),
                    "nces_id",
                    nces,
                    f"an NCES school id begins with its district's LEAID ({leaid})",
                )
                bad[i] = True
        return out, bad

    def _grades(self, low: Any, high: Any, row: int) -> tuple[str, str] | None:
        given = ["" if v.is_missing(g) else str(g).strip() for g in (low, high)]
        codes: list[str] = []
        for column, text in zip(("grade_low", "grade_high"), given, strict=True):
            if not text:
                codes.append("")
                continue
            try:
                codes.append(normalise_grade(text))
            except ValueError:
                self.problems.add(row, column, text, "grades are " + ", ".join(GRADE_CODES))
                return None
        if bool(codes[0]) != bool(codes[1]):
            column = "grade_high" if codes[0] else "grade_low"
            self.problems.add(row, column, "", "give both the lowest and highest grade, or neither")
            return None
        if codes[0] and GRADE_CODES.index(codes[0]) > GRADE_CODES.index(codes[1]):
            self.problems.add(
                row, "grade_high", codes[1], f"the highest grade is below the lowest ({codes[0]})"
            )
            return None
        return codes[0], codes[1]

    # --- comparing and writing ----------------------------------------------------------------

    def _load(self) -> None:
        if self._schools is not None:
            return
        state = self.ctx.state
        self._districts = {
            d["code"]: d
            for d in District.objects.filter(state=state).values("pk", "code", "name", "nces_leaid")
        }
        self._schools = {}
        for school in School.objects.filter(district__state=state).values(
            "pk", "code", "version", *SCHOOL_FIELDS
        ):
            if school["code"] in self._schools:
                self._ambiguous.add(school["code"])
            self._schools[school["code"]] = school

    def _unique_ids(self, typed: pd.DataFrame) -> None:
        """NCES ids held by another school or district, here or in another row of the file."""
        assert self._schools is not None and self._districts is not None
        p = self.problems
        nces = sorted({n for n in typed["nces_id"] if n})
        holders: dict[str, tuple[int, str]] = {}
        for batch in batched(nces):
            for pk, value, code, state in School.objects.filter(nces_id__in=batch).values_list(
                "pk", "nces_id", "code", "district__state__code"
            ):
                holders[value] = (pk, f"{code} in {state}")
        leaids = sorted({n for n in typed["nces_leaid"] if n})
        district_holders: dict[str, tuple[int, str]] = {}
        for batch in batched(leaids):
            for pk, value, code, state in District.objects.filter(nces_leaid__in=batch).values_list(
                "pk", "nces_leaid", "code", "state__code"
            ):
                district_holders[value] = (pk, f"{code} in {state}")
        for row, code, nid, dcode, leaid in typed[
            ["_row", "school_code", "nces_id", "district_code", "nces_leaid"]
        ].itertuples(index=False):
            if nid:
                first = self._nces_rows.setdefault(nid, (row, code))
                mine = self._schools.get(code)
                holder = holders.get(nid)
                if first[1] != code:
                    p.add(
                        row,
                        "nces_id",
                        nid,
                        f"the same NCES id as school {first[1]} (row {first[0]})",
                    )
                elif holder is not None and (mine is None or holder[0] != mine["pk"]):
                    p.add(row, "nces_id", nid, f"this NCES id belongs to school {holder[1]}")
            if leaid:
                first = self._leaid_rows.setdefault(leaid, (row, dcode))
                mine_d = self._districts.get(dcode)
                holder = district_holders.get(leaid)
                if first[1] != dcode:
                    p.add(
                        row,
                        "nces_leaid",
                        leaid,
                        f"the same LEAID as district {first[1]} (row {first[0]})",
                    )
                elif holder is not None and (mine_d is None or holder[0] != mine_d["pk"]):
                    p.add(row, "nces_leaid", leaid, f"this LEAID belongs to district {holder[1]}")
        for row, code in typed[["_row", "school_code"]].itertuples(index=False):
            if code in self._ambiguous:
                p.add(
                    row,
                    "school_code",
                    code,
                    f"ambiguous: several schools of {self.ctx.state.code} have this code",
                )

    def apply(self, typed: pd.DataFrame) -> None:
        self._load()
        self._unique_ids(typed)
        if self.problems:
            return
        assert self._schools is not None and self._districts is not None
        commit = self.ctx.commit
        create: list[School] = []
        update: list[School] = []
        update_fields: set[str] = set()
        identifiers: list[tuple[str, str, School | District]] = []
        for row in typed.to_dict("records"):
            found = self._schools.get(row["school_code"])
            shown = {k: row[k] for k in self.spec.columns}
            if found is not None and self._older(row["year"], found.get("directory_year")):
                self.kept_newer += 1
                self.note_preview(shown, "kept: newer data stored", row=row["_row"])
                continue
            district_id = self._district(row, identifiers)
            wanted = self._wanted(row, district_id)
            if found is None:
                self.summary.new += 1
                self.new_codes.add(row["school_code"])
                self.note_preview(shown, "new", row=row["_row"])
                if wanted["school_type"] == "":
                    wanted["school_type"] = school_type_for(
                        wanted["grade_low"], wanted["grade_high"]
                    )
                if commit:
                    school = School(code=row["school_code"], **wanted)
                    create.append(school)
                    if school.nces_id:
                        identifiers.append((IdentifierSystem.NCES_SCH, school.nces_id, school))
                    self.record(row["school_code"], "created", {}, row["_row"])
                self._schools[row["school_code"]] = {"pk": 0, "code": row["school_code"], **wanted}
                continue
            changes = {
                f: [found[f], wanted[f]]
                for f in SCHOOL_FIELDS
                if f in wanted and not v.same(found[f], wanted[f])
            }
            if not changes:
                self.summary.unchanged += 1
                self.note_preview(shown, "unchanged", row=row["_row"])
                continue
            self.summary.changed += 1
            self.summary.fields.update(list(changes))
            self.note_preview(shown, "changed", list(changes), row=row["_row"])
            found.update({f: new for f, (_, new) in changes.items()})
            if commit and found["pk"]:
                school = School(pk=found["pk"], **{f: found[f] for f in SCHOOL_FIELDS})
                school.version = F("version") + 1  # type: ignore[assignment]
                update.append(school)
                update_fields.update(changes)
                if "nces_id" in changes and found["nces_id"]:
                    identifiers.append((IdentifierSystem.NCES_SCH, found["nces_id"], school))
                self.record(row["school_code"], "updated", changes, row["_row"])
        if commit:
            self._write(create, update, update_fields, identifiers)

    @staticmethod
    def _older(year: int | None, stored: int | None) -> bool:
        """Whether a file of ``year`` is older than the stored directory data."""
        return year is not None and stored is not None and year < stored

    def _wanted(self, row: dict[str, Any], district_id: int) -> dict[str, Any]:
        wanted: dict[str, Any] = {
            "district_id": district_id,
            "name": row["school_name"],
            "is_charter": bool(row["is_charter"]),
            "is_open": bool(row["is_open"]),
        }
        found = self._schools.get(row["school_code"]) if self._schools else None
        for name in KEEP_WHEN_EMPTY:
            if row[name] or found is None:
                wanted[name] = row[name]
        if row["grade_low"] or found is None:
            wanted["grade_low"], wanted["grade_high"] = row["grade_low"], row["grade_high"]
        if row["title_i"] != TitleIStatus.UNKNOWN or found is None:
            wanted["title_i"] = row["title_i"]
        if row["year"] is not None or found is None:
            wanted["directory_year"] = row["year"]
        if found is not None:
            for name in [f for f in wanted if COLUMN_OF.get(f, f) not in self.given]:
                del wanted[name]
        return wanted

    def _district(
        self, row: dict[str, Any], identifiers: list[tuple[str, str, School | District]]
    ) -> int:
        """The district's id (0 while it is to be created in a check pass)."""
        assert self._districts is not None
        code = row["district_code"]
        found = self._districts.get(code)
        first_time = code not in self._district_seen
        self._district_seen.add(code)
        if found is None:
            self.districts["new"] += 1
            district = District(
                state=self.ctx.state,
                code=code,
                name=row["district_name"],
                nces_leaid=row["nces_leaid"],
            )
            if self.ctx.commit:
                district.save()
                if district.nces_leaid:
                    identifiers.append((IdentifierSystem.NCES_LEAID, district.nces_leaid, district))
                self.record(code, "created", {}, row["_row"], target="districts")
            found = {
                "pk": district.pk or 0,
                "code": code,
                "name": district.name,
                "nces_leaid": district.nces_leaid,
            }
            self._districts[code] = found
            return int(found["pk"])
        if not first_time:
            return int(found["pk"])
        changes = {}
        if row["district_name"] != found["name"]:
            changes["name"] = [found["name"], row["district_name"]]
        if row["nces_leaid"] and row["nces_leaid"] != found["nces_leaid"]:
            changes["nces_leaid"] = [found["nces_leaid"], row["nces_leaid"]]
        if not changes:
            self.districts["unchanged"] += 1
            return int(found["pk"])
        self.districts["changed"] += 1
        found.update({f: new for f, (_, new) in changes.items()})
        if self.ctx.commit and found["pk"]:
            District.objects.filter(pk=found["pk"]).update(
                **{f: new for f, (_, new) in changes.items()}, version=F("version") + 1
            )
            if "nces_leaid" in changes:
                district = District(pk=found["pk"])
                identifiers.append((IdentifierSystem.NCES_LEAID, row["nces_leaid"], district))
            self.record(code, "updated", changes, row["_row"], target="districts")
        return int(found["pk"])

    def _write(
        self,
        create: list[School],
        update: list[School],
        fields: set[str],
        identifiers: list[tuple[str, str, School | District]],
    ) -> None:
        assert self._schools is not None
        if create:
            School.objects.bulk_create(create, batch_size=500)
            for school in create:
                self._schools[school.code]["pk"] = school.pk
        if update:
            ordered = [f for f in SCHOOL_FIELDS if f in fields]
            School.objects.bulk_update(update, fields=[*ordered, "version"], batch_size=500)
        self._identifiers(identifiers)

    @staticmethod
    def _identifiers(identifiers: list[tuple[str, str, School | District]]) -> None:
        """Record NCES ids as identifiers too (other layouts match schools by them)."""
        held: set[tuple[str, str]] = set()
        for system in {s for s, _, _ in identifiers}:
            values = sorted({value for s, value, _ in identifiers if s == system})
            for batch in batched(values):
                held.update(
                    OrgIdentifier.objects.filter(system=system, value__in=batch).values_list(
                        "system", "value"
                    )
                )
        new = []
        for system, value, org in identifiers:
            if (system, value) in held:
                continue
            held.add((system, value))
            kind = "school" if isinstance(org, School) else "district"
            new.append(OrgIdentifier(system=system, value=value, **{kind: org}))
        OrgIdentifier.objects.bulk_create(new, batch_size=500)

    def close(self) -> None:
        self.summary.extra["districts"] = dict(self.districts)
        self.summary.extra["kept_newer"] = self.kept_newer
