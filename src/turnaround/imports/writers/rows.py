"""A writer for targets stored as one model row per key (results, profiles, determinations).

Per chunk: load the stored rows with the chunk's keys (by school, in batches), compare field by
field, count new / changed / unchanged, and — in a commit — create the new rows, update the
changed ones (their ``source`` becomes the job's data source) and record both.

A writer with ``partial`` set honours a partial table (``Chunk.columns``): a stored row is
compared and updated only in the columns the file provides, and the stored missing-value reasons
of the other columns are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
from django.db import models

from turnaround.imports.writers.base import ID_BATCH, Writer, batched
from turnaround.imports.writers.values import plain, same


@dataclass
class Record:
    row: int
    key: tuple[Any, ...]
    label: str  # the key as people read it: codes, not internal ids
    values: dict[str, Any]
    shown: dict[str, Any]  # the target row, for the preview


class ModelWriter(Writer):
    model: ClassVar[type[models.Model]]
    key_fields: ClassVar[tuple[str, ...]]  # model fields, in the order of the record keys
    value_fields: ClassVar[tuple[str, ...]]
    #: fields compared with the stored row but not written back (e.g. is_official)
    read_fields: ClassVar[tuple[str, ...]] = ()
    #: whether a file may provide only some value columns (the last value field is then
    #: ``missing_reasons``, the reasons of the columns given)
    partial: ClassVar[bool] = False

    def records(self, typed: pd.DataFrame) -> list[Record]:
        raise NotImplementedError

    def stored_filter(self, records: Sequence[Record]) -> dict[str, Any]:
        """Filters narrowing the stored rows loaded for a chunk (beyond school and year)."""
        return {}

    def conflicts(
        self, records: Sequence[Record], stored: dict[tuple[Any, ...], dict[str, Any]]
    ) -> None:
        """Report rows that must not be written over (none by default)."""

    def apply(self, typed: pd.DataFrame) -> None:
        records = self.records(typed)
        stored = self._stored(records)
        self.conflicts(records, stored)
        if self.problems:
            return
        ctx = self.ctx
        fields = self._given_fields()
        create: list[models.Model] = []
        update: list[models.Model] = []
        for record in records:
            reasons = record.values.get("missing_reasons") or {}
            self.summary.missing.update(reasons.values())
            found = stored.get(record.key)
            if found is not None and fields != self.value_fields:
                record.values = self._kept(record.values, found, fields)
            if found is None:
                self.summary.new += 1
                self.note_preview(record.shown, "new", row=record.row)
                if ctx.commit:
                    create.append(self._instance(record, None))
                    self.record(record.label, "created", {}, record.row)
                continue
            changed = [f for f in fields if not same(found[f], record.values[f])]
            if not changed:
                self.summary.unchanged += 1
                self.note_preview(record.shown, "unchanged", row=record.row)
                continue
            self.summary.changed += 1
            self.summary.fields.update(changed)
            self.note_preview(record.shown, "changed", changed, row=record.row)
            if ctx.commit:
                update.append(self._instance(record, found["pk"]))
                diff = {f: [plain(found[f]), plain(record.values[f])] for f in changed}
                self.record(record.label, "updated", diff, record.row)
        if ctx.commit:
            if create:
                self.model._default_manager.bulk_create(create, batch_size=1000)
            if update:
                self.model._default_manager.bulk_update(
                    update, fields=[*fields, "source"], batch_size=ID_BATCH
                )

    def _given_fields(self) -> tuple[str, ...]:
        """The value fields the current chunk's file provides (every one unless ``partial``)."""
        if not self.partial or self.given >= set(self.spec.columns):
            return self.value_fields
        *columns, reasons = self.value_fields
        return (*(f for f in columns if f in self.given), reasons)

    def _kept(
        self, values: dict[str, Any], found: dict[str, Any], fields: tuple[str, ...]
    ) -> dict[str, Any]:
        """A record's values with the stored ones for the columns the file does not provide."""
        *given, reasons = fields
        kept = {f: (values[f] if f in given else found[f]) for f in self.value_fields}
        stored_reasons = found.get(reasons) or {}
        kept[reasons] = {
            **{k: r for k, r in stored_reasons.items() if k not in given},
            **(values.get(reasons) or {}),
        }
        return kept

    def _instance(self, record: Record, pk: int | None) -> models.Model:
        key = dict(zip(self.key_fields, record.key, strict=True))
        return self.model(pk=pk, **key, **record.values, source=self.ctx.source)

    def _stored(self, records: Sequence[Record]) -> dict[tuple[Any, ...], dict[str, Any]]:
        school_ids = sorted({r.key[0] for r in records if r.key[0] > 0})
        years = sorted({r.key[1] for r in records})
        extra = self.stored_filter(records)
        fields = ["pk", *self.key_fields, *self.value_fields, *self.read_fields]
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for batch in batched(school_ids):
            rows = (
                self.model._default_manager.filter(school_id__in=batch, year__in=years, **extra)
                .order_by()
                .values(*fields)
            )
            for row in rows:
                out[tuple(row[f] for f in self.key_fields)] = row
        return out
