"""Published accountability outcomes (``accountability.AccountabilityDetermination``, official).

A published outcome is stored with ``is_official=True`` under its rule set, beside any
determination computed here (``is_official=False``) for the same school, year and rule set: a
determination is unique per school, year, rule set and origin, so an import never touches a
computed row and an identification run never touches a published one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.imports.writers import values as v
from turnaround.imports.writers.rows import ModelWriter, Record

REASON_CHARS = 300


class DeterminationsWriter(ModelWriter):
    target = "determinations"
    model = AccountabilityDetermination
    key_fields = ("school_id", "year", "ruleset")
    value_fields = (
        "label",
        "level",
        "percentile",
        "ppi_all",
        "ppi_high_needs",
        "reasons",
        "reason",
        "inputs",
        "is_official",
    )

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, v.Mask]:
        p = self.problems
        rows = frame["_row"].to_numpy(np.int64)
        out = pd.DataFrame({"_row": frame["_row"]})
        year, bad = v.years(frame, p)
        out["year"] = np.where(np.isnan(year), 0, year).astype("int64")
        out["school_code"], b = v.texts(frame, "school_code", p, required=True, max_length=40)
        bad |= b
        out["ruleset"], b = v.texts(frame, "ruleset", p, required=True, max_length=40)
        bad |= b
        out["label"], b = v.texts(frame, "label", p, required=True, max_length=60)
        bad |= b
        out["level"], b = v.numbers(frame, "level", p, minimum=1, maximum=5, whole=True)
        bad |= b
        out["percentile"], b = v.numbers(frame, "percentile", p, minimum=1, maximum=99)
        bad |= b
        for name in ("ppi_all", "ppi_high_needs"):
            out[name], b = v.numbers(frame, name, p, minimum=0)
            bad |= b
        reasons: list[list[str]] = []
        inputs: list[dict[str, Any]] = []
        for i, (given, extra) in enumerate(zip(frame["reasons"], frame["inputs"], strict=True)):
            listed = self._reasons(given)
            if listed is None:
                p.add(int(rows[i]), "reasons", given, "must be a list of reasons")
                bad[i] = True
            reasons.append(listed or [])
            if isinstance(extra, Mapping):
                inputs.append(v.plain(dict(extra)))
            elif not isinstance(extra, list | np.ndarray) and v.is_missing(extra):
                inputs.append({})
            else:
                p.add(int(rows[i]), "inputs", extra, "must be a mapping of indicator values")
                bad[i] = True
                inputs.append({})
        out["reasons"] = reasons
        out["inputs"] = inputs
        return out, bad

    @staticmethod
    def _reasons(given: Any) -> list[str] | None:
        """The reasons as a list of text (None when the value is not a list)."""
        if isinstance(given, str):
            return [given.strip()] if given.strip() else []
        if isinstance(given, Sequence | np.ndarray):
            return [str(r).strip() for r in given if not v.is_missing(r)]
        if v.is_missing(given):
            return []
        return None

    def stored_filter(self, records: Sequence[Record]) -> dict[str, Any]:
        return {"ruleset__in": sorted({r.key[2] for r in records}), "is_official": True}

    def records(self, typed: pd.DataFrame) -> list[Record]:
        records = []
        columns = {c: typed[c].tolist() for c in typed.columns}
        for i in range(len(typed)):
            reasons = columns["reasons"][i]
            values: dict[str, Any] = {
                "label": columns["label"][i],
                "level": v.as_int(columns["level"][i]),
                "percentile": v.as_int(columns["percentile"][i]),
                "ppi_all": v.as_float(columns["ppi_all"][i]),
                "ppi_high_needs": v.as_float(columns["ppi_high_needs"][i]),
                "reasons": reasons,
                "reason": "; ".join(reasons)[:REASON_CHARS],
                "inputs": columns["inputs"][i],
                "is_official": True,
            }
            key = (int(columns["school_id"][i]), int(columns["year"][i]), columns["ruleset"][i])
            code = columns["school_code"][i]
            shown = {"school_code": code, "year": key[1], "ruleset": key[2], **values}
            shown.pop("is_official")
            label = f"{code} {key[1]} {key[2]}"
            records.append(Record(int(columns["_row"][i]), key, label, values, shown))
        return records
