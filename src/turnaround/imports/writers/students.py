"""Student-level assessment records (``performance.StudentAssessment``): restricted, and fast.

Rows are checked a chunk at a time with whole-column operations and copied into a temporary
staging table — with PostgreSQL's ``COPY`` (psycopg), elsewhere with ``executemany`` — so memory
stays bounded by the chunk size however long the file. At the end, SQL compares the staging table
with the stored records (new, changed per field, unchanged) and, in a commit, writes them in one
statement, in key order: ``INSERT … SELECT … ON CONFLICT (student_key, year, subject) DO UPDATE
… WHERE`` a value differs, so unchanged rows are not touched (a plain ``INSERT`` when none of the
keys is stored yet). A check pass can keep its staged rows for the commit (``keep``, ``kept``,
``resume``; see ``pipeline.Stash``), so a commit does not read and check the file again.

Nothing about a student reaches a log or a preview: problems name the row and column but never
show a student key; the preview counts records by school, year and subject; change records keep,
for at most :data:`CHANGED_KEYS_KEPT` changed records, the pseudonymous key and the names of the
fields that changed — never the values.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from django.db import connection

from turnaround.imports.targets import SUBJECTS
from turnaround.imports.writers.base import Writer
from turnaround.imports.writers.values import Mask
from turnaround.performance.models import StudentAssessment

STAGE = "import_student_stage"
#: Changed records listed by key (the rest are counted).
CHANGED_KEYS_KEPT = 1000
GRADES = tuple(f"{g:02d}" for g in range(1, 13))
RACES = ("", "black", "asian", "hispanic", "white", "multirace", "amind", "pacisl")
FLAGS = ("is_high_needs", "is_econ_disadv", "is_el", "is_swd")
#: Staged columns and their SQL types (PostgreSQL, SQLite).
STAGE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("row_no", "bigint", "INTEGER"),
    ("student_key", "varchar(64)", "TEXT"),
    ("school_id", "bigint", "INTEGER"),
    ("year", "integer", "INTEGER"),
    ("grade", "varchar(2)", "TEXT"),
    ("subject", "varchar(4)", "TEXT"),
    ("scale_score", "double precision", "REAL"),
    ("achievement_level", "integer", "INTEGER"),
    *((flag, "boolean", "INTEGER") for flag in FLAGS),
    ("race", "varchar(12)", "TEXT"),
)
STAGE_NAMES = tuple(name for name, _, _ in STAGE_COLUMNS)
KEY = ("student_key", "year", "subject")
#: The staged rows a check pass keeps for the commit, and the rows read back at a time (SQLite).
KEPT_FILE = "students.csv"
CHUNK = 50_000
VALUES = ("school_id", "grade", "scale_score", "achievement_level", *FLAGS, "race")
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", ""}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


class StudentsWriter(Writer):
    target = "students"
    hidden = frozenset({"student_key"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staged = 0
        self.groups: Counter[tuple[str, int, str]] = Counter()
        self._stage_ready = False
        self._kept: IO[str] | None = None

    # --- checks (whole columns) ---------------------------------------------------------------

    def _bad(self, mask: Mask, rows: np.ndarray, column: str, values: Any, reason: str) -> None:
        """Report each masked row; ``values`` (a Series, or None) gives the shown value."""
        for i in np.flatnonzero(mask):
            shown = None if column in self.hidden or values is None else values.iloc[int(i)]
            self.problems.add(int(rows[i]), column, shown, reason)

    @staticmethod
    def _text(series: pd.Series) -> pd.Series:
        """Stripped text ('' for missing), worked out once per distinct value."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        distinct = np.asarray(uniques, dtype=object)
        cleaned = np.array([str(u).strip() for u in distinct] + [""], dtype=object)
        return pd.Series(cleaned[codes], index=series.index, dtype=object)

    @staticmethod
    def _keys(series: pd.Series) -> pd.Series:
        """Student keys as given ('' for missing): one distinct value a row, so not stripped."""
        keys = series.astype(object)
        return keys.where(keys.notna(), "").astype(object)

    def _number(self, series: pd.Series) -> tuple[np.ndarray, Mask, Mask]:
        """Floats, the missing cells and the cells that are not numbers."""
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            array = series.to_numpy(np.float64, na_value=np.nan)
            return array, np.isnan(array), np.zeros(len(array), dtype=bool)
        text = self._text(series)
        absent = (text == "").to_numpy()
        array = pd.to_numeric(text.where(~text.eq(""), None), errors="coerce").to_numpy(
            np.float64, na_value=np.nan
        )
        return array, absent, np.isnan(array) & ~absent

    def _flag(self, series: pd.Series, rows: np.ndarray, column: str) -> tuple[np.ndarray, Mask]:
        if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
            return series.to_numpy(bool), np.zeros(len(series), dtype=bool)
        text = self._text(series).str.lower()
        yes = text.isin(_TRUE).to_numpy()
        bad = ~(yes | text.isin(_FALSE).to_numpy())
        self._bad(bad, rows, column, text, "must be yes or no (true/false, 1/0)")
        return yes, bad

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, Mask]:
        rows = frame["_row"].to_numpy(np.int64)
        out = pd.DataFrame({"_row": rows})
        key = self._keys(frame["student_key"])
        bad = np.array(key == "", dtype=bool)
        self._bad(bad, rows, "student_key", None, "a student key is required")
        long = (key.str.len() > 64).to_numpy()
        self._bad(long, rows, "student_key", None, "a student key is at most 64 characters")
        bad |= long
        out["student_key"] = key.to_numpy(object)
        out["school_code"] = self._text(frame["school_code"]).to_numpy(object)
        year, absent, not_number = self._number(frame["year"])
        with np.errstate(invalid="ignore"):
            wrong = ~absent & ~not_number & ((year < 1990) | (year > 2100) | (year % 1 != 0))
        self._bad(absent, rows, "year", None, "a value is required")
        self._bad(
            not_number | wrong,
            rows,
            "year",
            frame["year"],
            "a year is a spring year from 1990 to 2100, e.g. 2017",
        )
        bad |= absent | not_number | wrong
        out["year"] = np.where(np.isnan(year), 0, year).astype(np.int64)
        for column, allowed, reason in (
            ("grade", GRADES, "a tested grade is 01 to 12 (two digits)"),
            ("subject", SUBJECTS, "must be one of " + ", ".join(SUBJECTS)),
            ("race", RACES, "must be empty or one of " + ", ".join(RACES[1:])),
        ):
            text = self._text(frame[column])
            wrong = ~text.isin(allowed).to_numpy()
            self._bad(wrong, rows, column, text, reason)
            bad |= wrong
            out[column] = text.to_numpy(object)
        score, absent, not_number = self._number(frame["scale_score"])
        self._bad(absent, rows, "scale_score", None, "a scale score is required")
        self._bad(not_number, rows, "scale_score", frame["scale_score"], "not a number")
        infinite = np.isinf(score)
        self._bad(infinite, rows, "scale_score", None, "not a finite number")
        bad |= absent | not_number | infinite
        out["scale_score"] = score
        level, absent, not_number = self._number(frame["achievement_level"])
        with np.errstate(invalid="ignore"):
            wrong = ~absent & ~not_number & ~np.isin(level, (1.0, 2.0, 3.0, 4.0))
        self._bad(absent, rows, "achievement_level", None, "an achievement level is required")
        self._bad(
            not_number | wrong,
            rows,
            "achievement_level",
            frame["achievement_level"],
            "impossible value: an achievement level is 1 (lowest) to 4",
        )
        bad |= absent | not_number | wrong
        out["achievement_level"] = np.where(np.isnan(level), 0, level).astype(np.int64)
        for flag in FLAGS:
            out[flag], wrong = self._flag(frame[flag], rows, flag)
            bad |= wrong
        return out, bad

    # --- staging ------------------------------------------------------------------------------

    def _create_stage(self) -> None:
        postgres = connection.vendor == "postgresql"
        columns = ", ".join(
            f"{name} {pg if postgres else lite} NOT NULL" for name, pg, lite in STAGE_COLUMNS
        )
        temp = "TEMPORARY"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"CREATE {temp} TABLE {STAGE} ({columns})")
        self._stage_ready = True

    def drop_stage(self) -> None:
        if self._stage_ready:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            self._stage_ready = False

    def apply(self, typed: pd.DataFrame) -> None:
        if not self._stage_ready:
            self._create_stage()
        stage = typed.rename(columns={"_row": "row_no"})[list(STAGE_NAMES)]
        if connection.vendor == "postgresql":
            text = stage.to_csv(header=False, index=False)
            self._copy([text])
            if self._kept is not None:
                self._kept.write(text)
        else:
            self._insert(stage)
            if self._kept is not None:
                stage.to_csv(self._kept, header=False, index=False)
        self.staged += len(stage)
        counts = typed.groupby(["school_code", "year", "subject"], sort=False).size()
        for (code, year, subject), n in counts.items():
            self.groups[(str(code), int(year), str(subject))] += int(n)

    @staticmethod
    def _copy(blocks: Any) -> None:
        """PostgreSQL: CSV text (the staged columns in order) into the staging table."""
        sql = (
            f"COPY {STAGE} ({', '.join(STAGE_NAMES)}) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (race))"
        )
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for block in blocks:
                copy.write(block)

    @staticmethod
    def _insert(stage: pd.DataFrame) -> None:
        """Other databases: a frame of the staged columns into the staging table."""
        marks = ", ".join(["%s"] * len(STAGE_NAMES))
        data = list(stage.astype(object).itertuples(index=False, name=None))
        with connection.cursor() as cursor:
            insert = f"INSERT INTO {STAGE} ({', '.join(STAGE_NAMES)}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(insert, data)

    # --- keeping the checked rows for the commit (see ``pipeline.Stash``) ------------------------

    def keep(self, folder: Path) -> None:
        """In a check pass: also write the staged rows to ``folder``."""
        self._kept = (folder / KEPT_FILE).open("w", encoding="utf-8", newline="")

    def kept(self) -> dict[str, Any]:
        """What the commit needs besides the rows: their count, the groups and the school ids
        the rows were given (which the commit checks are still those of the codes)."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        ids = self.ctx.schools.ids
        return {
            "rows": self.staged,
            "groups": [
                [code, year, subject, n] for (code, year, subject), n in self.groups.items()
            ],
            "school_ids": {code: ids.get(code) for code, _, _ in self.groups},
        }

    def resume(self, folder: Path, kept: Any) -> bool:
        """In a commit pass: stage the rows a check pass kept, unless the school ids changed."""
        rows_file = folder / KEPT_FILE
        if not isinstance(kept, dict) or not rows_file.is_file():
            return False
        schools = self.ctx.schools
        for code, pk in dict(kept.get("school_ids", {})).items():
            if not isinstance(pk, int) or pk <= 0 or schools.ids.get(code) != pk:
                return False
            if code in schools.ambiguous:
                return False
        self._create_stage()
        if connection.vendor == "postgresql":
            with rows_file.open("r", encoding="utf-8", newline="") as handle:
                self._copy(iter(lambda: handle.read(1 << 20), ""))
        else:
            for stage in pd.read_csv(
                rows_file,
                header=None,
                names=list(STAGE_NAMES),
                dtype={"student_key": str, "grade": str, "subject": str, "race": str},
                keep_default_na=False,
                chunksize=CHUNK,
            ):
                self._insert(stage)
        self.staged = self.summary.rows = int(kept["rows"])
        for group in kept["groups"]:
            self.groups[(str(group[0]), int(group[1]), str(group[2]))] += int(group[3])
        return True

    # --- comparing and writing ----------------------------------------------------------------

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        try:
            if self._stage_ready and not self.problems:
                self._compare_and_write()
        finally:
            self.drop_stage()
        self._summarise_groups()

    def _compare_and_write(self) -> None:
        sql = _Sql(_q(StudentAssessment._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql.count_new())
            new = int(cursor.fetchone()[0])
            cursor.execute(sql.count_changed())
            counts = cursor.fetchone()
            changed = int(counts[0] or 0)
            per_field = {f: int(n or 0) for f, n in zip(VALUES, counts[1:], strict=True) if n}
            self.summary.new = new
            self.summary.changed = changed
            self.summary.unchanged = self.staged - new - changed
            self.summary.fields.update(per_field)
            if not self.ctx.commit or not (new or changed):
                return
            cursor.execute(sql.changed_keys(CHANGED_KEYS_KEPT))
            for row_no, student_key, year, subject, *which in cursor.fetchall():
                fields = {f: None for f, hit in zip(VALUES, which, strict=True) if hit}
                self.record(f"{student_key} {year} {subject}", "updated", fields, int(row_no))
            assert self.ctx.source is not None
            if new == self.staged:  # none of the keys is stored yet (a first load): no conflicts
                cursor.execute(sql.insert(int(self.ctx.source.pk)))
            else:
                cursor.execute(sql.upsert(int(self.ctx.source.pk)))

    def _summarise_groups(self) -> None:
        """The preview: records by school, year and subject (never a student's row)."""
        self.preview = [
            {"school_code": code, "year": year, "subject": subject, "records": n}
            for (code, year, subject), n in sorted(self.groups.items())[:10]
        ]
        self.summary.extra["schools"] = len({code for code, _, _ in self.groups})
        self.summary.extra["groups"] = len(self.groups)


class _Sql:
    """The statements comparing and writing the staged records.

    Every name in them is a constant of this module or the model's table and column names,
    quoted by the database backend, and the one value is the data source's id, an integer.
    Stored and staged columns are all NOT NULL, so ``<>`` compares them on every database.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.on = " AND ".join(f"t.{_q(c)} = s.{c}" for c in KEY)
        self.differs = [f"t.{_q(c)} <> s.{c}" for c in VALUES]

    def count_new(self) -> str:
        return (
            f"SELECT COUNT(*) FROM {STAGE} s WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {self.table} t WHERE {self.on})"
        )

    def count_changed(self) -> str:
        sums = ", ".join(f"SUM(CASE WHEN {d} THEN 1 ELSE 0 END)" for d in self.differs)
        return (
            f"SELECT COUNT(*), {sums} FROM {STAGE} s JOIN {self.table} t "  # noqa: S608
            f"ON {self.on} WHERE {' OR '.join(self.differs)}"
        )

    def changed_keys(self, limit: int) -> str:
        flags = ", ".join(f"CASE WHEN {d} THEN 1 ELSE 0 END" for d in self.differs)
        return (
            f"SELECT s.row_no, s.student_key, s.year, s.subject, {flags} "  # noqa: S608
            f"FROM {STAGE} s JOIN {self.table} t ON {self.on} "
            f"WHERE {' OR '.join(self.differs)} ORDER BY s.row_no LIMIT {int(limit)}"
        )

    def insert(self, source_id: int) -> str:
        """Insert every staged record, in key order (see :meth:`upsert`), when none is stored:
        a plain insert skips the conflict check of every row. Should another transaction store
        one of the keys meanwhile, the unique constraint fails the whole commit."""
        columns = [*KEY, *VALUES]
        return (
            f"INSERT INTO {self.table} ({', '.join(_q(c) for c in columns)}, {_q('source_id')}) "  # noqa: S608
            f"SELECT {', '.join(columns)}, {int(source_id)} FROM {STAGE} "
            f"ORDER BY {', '.join(KEY)}"
        )

    def upsert(self, source_id: int) -> str:
        """Insert new records and update changed ones; unchanged rows are not touched.

        In key order: the unique index on random 64-character keys then grows at its end (or
        is walked in order) instead of touching a random page for every row, which is most of
        the cost of a large load once the index outgrows the database's buffers."""
        columns = [*KEY, *VALUES]
        source = _q("source_id")
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in VALUES)
        where = " OR ".join(f"{self.table}.{_q(c)} <> excluded.{_q(c)}" for c in VALUES)
        return (
            f"INSERT INTO {self.table} ({', '.join(_q(c) for c in columns)}, {source}) "  # noqa: S608
            f"SELECT {', '.join(columns)}, {int(source_id)} FROM {STAGE} WHERE 1 = 1 "
            f"ORDER BY {', '.join(KEY)} "
            f"ON CONFLICT ({', '.join(_q(c) for c in KEY)}) DO UPDATE SET {updates}, "
            f"{source} = excluded.{source} WHERE {where}"
        )
