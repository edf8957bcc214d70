"""School results (``performance.AssessmentResult``): one row per school, year, subject, grade and
student group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from turnaround.imports.targets import ALL_GRADES, GROUPS, MISSING_REASONS, SUBJECTS
from turnaround.imports.writers import values as v
from turnaround.imports.writers.rows import ModelWriter, Record
from turnaround.performance.models import AssessmentResult

GRADE_PATTERN = rf"0[3-9]|1[0-2]|{ALL_GRADES}"
LEVELS = ("pct_level_4", "pct_level_3", "pct_level_2", "pct_level_1")
COUNTS = ("n_tested", "sgp_n")


class ResultsWriter(ModelWriter):
    target = "results"
    model = AssessmentResult
    partial = True
    key_fields = ("school_id", "year", "subject", "grade", "group")
    value_fields = (
        "n_tested",
        *LEVELS,
        "composite_index",
        "mean_scale_score",
        "median_sgp",
        "sgp_n",
        "missing_reasons",
    )

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, v.Mask]:
        p = self.problems
        out = pd.DataFrame({"_row": frame["_row"]})
        year, bad = v.years(frame, p)
        out["year"] = np.where(np.isnan(year), 0, year).astype("int64")
        out["school_code"], b = v.texts(frame, "school_code", p, required=True, max_length=40)
        bad |= b
        out["subject"], b = v.texts(frame, "subject", p, required=True, choices=SUBJECTS)
        bad |= b
        out["grade"], b = v.texts(
            frame,
            "grade",
            p,
            required=True,
            pattern=GRADE_PATTERN,
            describe=f"a tested grade is 03 to 12, or {ALL_GRADES}",
        )
        bad |= b
        out["group"], b = v.texts(frame, "group", p, required=True, choices=GROUPS)
        bad |= b
        for name in COUNTS:
            out[name], b = v.counts(frame, name, p)
            bad |= b
        for name in LEVELS:
            out[name], b = v.percents(frame, name, p)
            bad |= b
        out["composite_index"], b = v.numbers(frame, "composite_index", p, minimum=0, maximum=100)
        bad |= b
        out["mean_scale_score"], b = v.numbers(frame, "mean_scale_score", p, minimum=0)
        bad |= b
        out["median_sgp"], b = v.numbers(frame, "median_sgp", p, minimum=1, maximum=99)
        bad |= b
        reasons, b = v.missing_reasons(
            frame, p, allowed_columns=self.value_fields, allowed_reasons=MISSING_REASONS
        )
        out["missing"] = reasons
        return out, bad | b

    def records(self, typed: pd.DataFrame) -> list[Record]:
        records = []
        columns = {c: typed[c].tolist() for c in typed.columns}
        for i in range(len(typed)):
            values: dict[str, object] = {}
            for name in self.value_fields[:-1]:
                raw = columns[name][i]
                values[name] = v.as_int(raw) if name in COUNTS else v.as_float(raw)
            values["missing_reasons"] = {
                k: r for k, r in columns["missing"][i].items() if values.get(k) is None
            }
            key = (
                int(columns["school_id"][i]),
                int(columns["year"][i]),
                columns["subject"][i],
                columns["grade"][i],
                columns["group"][i],
            )
            label = " ".join([columns["school_code"][i], *map(str, key[1:])])
            shown = {
                "school_code": columns["school_code"][i],
                "year": key[1],
                "subject": key[2],
                "grade": key[3],
                "group": key[4],
                **{k: values[k] for k in self.value_fields[:-1]},
                "missing": values["missing_reasons"],
            }
            records.append(Record(int(columns["_row"][i]), key, label, values, shown))
        return records
