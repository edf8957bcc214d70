"""School profiles by year (``performance.SchoolYearProfile``): enrolment, demographics,
graduation, dropout and attendance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from turnaround.imports.targets import MISSING_REASONS
from turnaround.imports.writers import values as v
from turnaround.imports.writers.rows import ModelWriter, Record
from turnaround.performance.models import SchoolYearProfile

PERCENTS = (
    "pct_high_needs",
    "pct_econ_disadv",
    "pct_el",
    "pct_swd",
    "pct_black",
    "pct_asian",
    "pct_hispanic",
    "pct_white",
    "pct_multirace",
    "pct_amind",
    "pct_pacisl",
    "graduation_rate_4yr",
    "dropout_rate",
    "attendance_rate",
    "chronic_absence_rate",
)


class ProfilesWriter(ModelWriter):
    target = "profiles"
    model = SchoolYearProfile
    partial = True
    key_fields = ("school_id", "year")
    value_fields = ("enrollment", *PERCENTS, "missing_reasons")

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, v.Mask]:
        p = self.problems
        out = pd.DataFrame({"_row": frame["_row"]})
        year, bad = v.years(frame, p)
        out["year"] = np.where(np.isnan(year), 0, year).astype("int64")
        out["school_code"], b = v.texts(frame, "school_code", p, required=True, max_length=40)
        bad |= b
        out["enrollment"], b = v.counts(frame, "enrollment", p)
        bad |= b
        for name in PERCENTS:
            out[name], b = v.percents(frame, name, p)
            bad |= b
        out["missing"], b = v.missing_reasons(
            frame, p, allowed_columns=self.value_fields, allowed_reasons=MISSING_REASONS
        )
        return out, bad | b

    def records(self, typed: pd.DataFrame) -> list[Record]:
        records = []
        columns = {c: typed[c].tolist() for c in typed.columns}
        for i in range(len(typed)):
            values: dict[str, object] = {"enrollment": v.as_int(columns["enrollment"][i])}
            for name in PERCENTS:
                values[name] = v.as_float(columns[name][i])
            values["missing_reasons"] = {
                k: r for k, r in columns["missing"][i].items() if values.get(k) is None
            }
            key = (int(columns["school_id"][i]), int(columns["year"][i]))
            code = columns["school_code"][i]
            shown = {"school_code": code, "year": key[1], **values}
            shown["missing"] = shown.pop("missing_reasons")
            records.append(Record(int(columns["_row"][i]), key, f"{code} {key[1]}", values, shown))
        return records
