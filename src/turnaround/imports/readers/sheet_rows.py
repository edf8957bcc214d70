"""Rows of a CSV, tab-separated or XLSX file, streamed with bounded memory (pure, no Django).

``table_rows(path)`` yields ``(row number, cells)`` — the header first (row 1, as a spreadsheet
numbers it), then every record, blank ones included (so numbers match the file). CSV cells are
text; XLSX cells are the workbook's values (``str``, ``int``, ``float``, ``bool``, dates or
None), so that a reader can tell an identifier typed as a number, whose leading zeros are lost.

Before a text file is read, its bytes are scanned once, in blocks, for its encoding: UTF-8 (with
or without a byte-order mark) or Latin-1. A file that holds both UTF-8 multi-byte sequences and
bytes that are not UTF-8 mixes encodings and is refused, naming a line of each; so are empty
files, binary files and workbooks saved with a ``.csv`` name.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from turnaround.imports.readers.base import Progress, no_progress
from turnaround.imports.targets import ImportInvalid, InputIssue

BLOCK = 1 << 18
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
#: Rows between progress reports while reading.
PROGRESS_EVERY = 5000


def _refuse(path: Path, reason: str, row: int | None = None, value: str | None = None) -> None:
    raise ImportInvalid(path.name, [InputIssue(row, None, value, reason)])


def sniff_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-8`` or ``latin-1``; ImportInvalid for mixed, binary or empty files."""
    multibyte_line: int | None = None
    bad: tuple[int, bytes] | None = None
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    any_text = False
    with path.open("rb") as raw:
        first = raw.read(BLOCK)
        if first.startswith(b"PK\x03\x04"):
            _refuse(path, "this is an Excel workbook with a text file's name; name it .xlsx")
        if b"\x00" in first[:4096]:
            _refuse(path, "binary or UTF-16 data; save the file as UTF-8 or Latin-1 text (CSV)")
        bom = first.startswith(codecs.BOM_UTF8)
        block = first[len(codecs.BOM_UTF8) :] if bom else first
        while block:
            any_text = any_text or bool(block.strip())
            if multibyte_line is None:
                found = _UTF8_MULTIBYTE.search(block)
                if found is not None:
                    multibyte_line = lines + block.count(b"\n", 0, found.start()) + 1
            if bad is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    start = max(0, min(exc.start, len(block) - 1))
                    bad = (lines + block.count(b"\n", 0, start) + 1, block[start : start + 1])
            lines += block.count(b"\n")
            block = raw.read(BLOCK)
        if bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = (lines + 1, b"")
    if not any_text:
        _refuse(path, "the file is empty")
    if bad is None:
        return "utf-8-sig" if bom else "utf-8"
    if multibyte_line is not None:
        line, byte = bad
        _refuse(
            path,
            f"mixed encodings: line {multibyte_line} is UTF-8 but line {line} is not; save the "
            "whole file in one encoding (UTF-8)",
            row=line,
            value=repr(byte),
        )
    return "latin-1"


def csv_rows(path: Path, progress: Progress = no_progress) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV or tab-separated file (tab when the header line has one)."""
    encoding = sniff_encoding(path)
    size = path.stat().st_size
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        header_line = text.readline()
        delimiter = "\t" if "\t" in header_line else ","
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        yield 1, header
        reader = csv.reader(text, delimiter=delimiter)
        number = 1
        try:
            for number, record in enumerate(reader, start=2):  # noqa: B007 - used after the loop
                yield number, record
                if number % PROGRESS_EVERY == 0:
                    progress(min(raw.tell(), size), size)
        except csv.Error as exc:
            _refuse(path, f"the file cannot be read as CSV: {exc}", row=number + 1)
    progress(size, size)


def xlsx_rows(
    path: Path, progress: Progress = no_progress, *, sheet: str | None = None
) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a workbook's sheet (``sheet`` when it has one so named, else the first)."""
    from openpyxl import load_workbook  # imported here: CSV imports never need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook has many ways to fail
        _refuse(
            path, f"the workbook cannot be opened ({type(exc).__name__}); save it again as .xlsx"
        )
        return
    try:
        names = workbook.sheetnames
        worksheet = workbook[sheet] if sheet is not None and sheet in names else workbook[names[0]]
        total = worksheet.max_row or 0
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
            if number % PROGRESS_EVERY == 0:
                progress(min(number, total), total)
        progress(total, total)
    finally:
        workbook.close()


def table_rows(path: Path, progress: Progress = no_progress) -> Iterator[tuple[int, list[Any]]]:
    """Rows of a ``.xlsx`` workbook or of a text file (any other name)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        with path.open("rb") as raw:
            if raw.read(4) != b"PK\x03\x04":
                _refuse(path, "not an Excel workbook (.xlsx); save it again from the spreadsheet")
        return xlsx_rows(path, progress)
    return csv_rows(path, progress)


def cell_text(value: Any) -> str:
    """A cell as text: '' for empty, whole numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
