"""Helpers shared by the file readers: problems, target frames, chunks, grades, pseudonyms.

Pure Python (no Django). The validating column converters (:class:`Col`,
:func:`convert_columns`, :func:`check_unique`) and the text decoding come from
:mod:`turnaround.analytics.accountability.files`; what is here turns their problems into
:class:`~turnaround.imports.targets.ImportInvalid` and their values into target rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import (
    MAX_ISSUES,
    RawTable,
    RuleInputError,
    read_raw,
)
from turnaround.imports.readers.base import Chunk, Progress
from turnaround.imports.readers.template import marker_reason
from turnaround.imports.targets import TARGETS, ImportInvalid, InputIssue
from turnaround.organizations.grades import school_type_for

HIDDEN = "(hidden)"

# --- problems ----------------------------------------------------------------------------------


class Problems:
    """The problems of one file: the first :data:`MAX_ISSUES` kept, all of them counted.

    It has the ``add(row, column, value, reason)`` method the column converters of
    ``analytics.accountability.files`` call, so it can be handed to them. Values of the columns
    in ``hidden`` (student ids) are never kept: they are shown as ``(hidden)``.
    """

    def __init__(self, source: str, hidden: Iterable[str] = ()) -> None:
        self.source = source
        self.hidden = frozenset(hidden)
        self.items: list[InputIssue] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, value: object, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_ISSUES:
            self.items.append(InputIssue(row, column, self._shown(column, value), reason))

    def add_many(
        self,
        rows: Sequence[int] | np.ndarray,
        column: str | None,
        values: Sequence[object] | np.ndarray | None,
        reason: str,
    ) -> None:
        """Many rows with the same problem (only the first few are materialised)."""
        count = len(rows)
        room = max(0, MAX_ISSUES - len(self.items))
        for i in range(min(count, room)):
            value = None if values is None else values[i]
            self.items.append(InputIssue(int(rows[i]), column, self._shown(column, value), reason))
        self.total += count

    def absorb(self, error: RuleInputError | ImportInvalid) -> None:
        """Take over the problems of a reader of ``analytics.accountability.files``."""
        for issue in error.issues:
            if len(self.items) < MAX_ISSUES:
                value = issue.value
                if issue.column in self.hidden and value is not None:
                    value = HIDDEN
                self.items.append(InputIssue(issue.row, issue.column, value, issue.reason))
        self.total += error.total

    def _shown(self, column: str | None, value: object) -> str | None:
        if value is None:
            return None
        if column in self.hidden:
            return HIDDEN
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self) -> ImportInvalid:
        ordered = sorted(self.items, key=lambda i: (i.row is not None, i.row or 0, i.column or ""))
        return ImportInvalid(self.source, ordered, self.total)

    def raise_if_any(self) -> None:
        if self.total:
            raise self.error()


def read_table(path: Path, problems: Problems) -> RawTable | None:
    """A CSV or tab-separated file as text cells (None, with the problems noted, when unreadable).

    Uses :func:`~turnaround.analytics.accountability.files.read_raw`: UTF-8 or Latin-1, mixed
    encodings, an empty body, repeated header names and ragged rows are refused there.
    """
    try:
        return read_raw(path)
    except RuleInputError as exc:
        problems.absorb(exc)
        return None


def as_source(raw: RawTable) -> pd.DataFrame:
    """The text frame of ``raw`` named after its file, to hand to an ``analytics`` reader."""
    frame = raw.frame.copy()
    frame.attrs["source"] = raw.source
    return frame


# --- streaming text files ----------------------------------------------------------------------

_BLOCK = 1 << 22
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def sniff_encoding(path: Path, problems: Problems) -> str | None:
    """The encoding of a text file read in blocks: ``utf-8-sig``, ``utf-8`` or ``latin-1``.

    Like :func:`~turnaround.analytics.accountability.files.decode_text` but without holding the
    file: a workbook, binary or UTF-16 data, and a file mixing UTF-8 with another encoding are
    refused (None, the problem noted, naming a line of each).
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    first_utf8: int | None = None
    first_bad: int | None = None
    lines = 0
    encoding = "utf-8"
    try:
        handle = path.open("rb")
    except OSError as exc:
        problems.add(None, None, None, f"cannot read the file: {exc}")
        return None
    with handle:
        head = handle.read(4096)
        if head.startswith(b"PK\x03\x04"):
            problems.add(None, None, None, "an Excel workbook; save the sheet as CSV first")
            return None
        if b"\x00" in head:
            problems.add(None, None, None, "binary or UTF-16 data; save as UTF-8 or Latin-1 text")
            return None
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        handle.seek(0)
        while block := handle.read(_BLOCK):
            found = (
                None if first_utf8 is not None or block.isascii() else _UTF8_MULTIBYTE.search(block)
            )
            if found:
                first_utf8 = lines + block.count(b"\n", 0, found.start()) + 1
            if first_bad is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    first_bad = lines + block.count(b"\n", 0, max(exc.start, 0)) + 1
            if first_bad is not None and first_utf8 is not None:
                break
            lines += block.count(b"\n")
    if first_bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            first_bad = lines + 1
    if first_bad is None:
        return encoding
    if first_utf8 is not None:
        problems.add(
            first_bad,
            None,
            None,
            f"mixed encodings: line {first_utf8} is UTF-8 but line {first_bad} is not; save "
            "the whole file in one encoding",
        )
        return None
    return "latin-1"


def read_header(path: Path, encoding: str, problems: Problems) -> tuple[list[str], str] | None:
    """The header names and the delimiter (a tab when the header has one, else a comma)."""
    import csv

    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
    if not first.strip():
        problems.add(None, None, None, "the file is empty")
        return None
    delimiter = "\t" if "\t" in first else ","
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.add(1, None, None, f"header field {position} is blank")
        elif name in seen:
            problems.add(1, name, None, "the column appears twice in the header")
        seen.add(name)
    return header, delimiter


def ragged_rows(
    path: Path, *, encoding: str, delimiter: str, width: int, problems: Problems
) -> bool:
    """Note every record whose number of fields differs from the header's (True when none).

    A pass with the ``csv`` module (about a second per million rows): pandas' parser stops at
    the first row with too many fields and silently pads a row with too few.
    """
    import csv

    clean = True
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for row, record in enumerate(reader, start=2):
            if len(record) != width and record:
                problems.add(row, None, None, f"{len(record)} fields where the header has {width}")
                clean = False
    return clean


def stream_csv(
    path: Path,
    *,
    encoding: str,
    delimiter: str,
    header: Sequence[str],
    columns: Sequence[str],
    chunk_rows: int,
    problems: Problems,
    progress: Progress,
) -> Iterator[pd.DataFrame]:
    """The rows of a CSV file as text frames of at most ``chunk_rows`` rows, index = row number.

    Row numbers count the header as row 1 and every record after it (blank lines included, then
    dropped), as :func:`~turnaround.analytics.accountability.files.read_raw` does. Rows with the
    wrong number of fields are all reported first (:func:`ragged_rows`), and then nothing is
    read. Only ``columns`` are kept. ``progress`` gets bytes read.
    """
    if not ragged_rows(
        path, encoding=encoding, delimiter=delimiter, width=len(header), problems=problems
    ):
        return
    size = max(path.stat().st_size, 1)
    next_row = 2
    with path.open("rb") as handle:
        reader = pd.read_csv(
            handle,
            sep=delimiter,
            encoding=encoding,
            dtype=object,  # Python str cells: faster to check than pandas' string dtype
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            usecols=list(columns),
            chunksize=chunk_rows,
            engine="c",
        )
        with reader:
            try:
                for frame in reader:
                    frame.index = pd.RangeIndex(next_row, next_row + len(frame))
                    next_row += len(frame)
                    blank = (frame == "").all(axis=1)
                    if blank.any():
                        frame = frame[~blank.to_numpy()]
                    progress(min(handle.tell(), size), size)
                    if len(frame):
                        yield frame
            except (pd.errors.ParserError, UnicodeDecodeError):
                # the parser's message may quote a cell: only the place is reported
                problems.add(next_row, None, None, "the file cannot be read as CSV from here on")


# --- options -----------------------------------------------------------------------------------


def option_year(options: Mapping[str, Any], problems: Problems) -> int | None:
    """``options["year"]`` as a spring year (None when not given)."""
    value = options.get("year")
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        problems.add(None, None, value, "the year option must be a year such as 2017")
        return None
    if not 1990 <= year <= 2100:
        problems.add(None, None, value, "the year option must be between 1990 and 2100")
        return None
    return year


_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def year_in_name(path: Path) -> int | None:
    """The one four-digit year in a file name (``CAMPRATE_2019.csv`` → 2019), else None."""
    found = set(_YEAR_IN_NAME.findall(path.stem))
    return int(found.pop()) if len(found) == 1 else None


def check_state(options: Mapping[str, Any], state: str, problems: Problems) -> None:
    """A file of one state's layout imported for another state is refused at once."""
    given = str(options.get("state") or "").strip().upper()
    if given and given != state:
        problems.add(
            None,
            None,
            None,
            f"this layout holds {state} data, but the import is for {given}",
        )


def wanted(options: Mapping[str, Any], target: str) -> bool:
    """Whether ``target`` is asked for (``options["targets"]``, default every target)."""
    targets = options.get("targets")
    return not targets or target in targets


# --- target frames and chunks ------------------------------------------------------------------

_BOOL_COLUMNS = frozenset(
    {"is_charter", "is_open", "is_high_needs", "is_econ_disadv", "is_el", "is_swd"}
)
_TEXT_DEFAULTS: Mapping[str, str] = {
    "state": "",
    "district_code": "",
    "district_name": "",
    "nces_leaid": "",
    "school_code": "",
    "school_name": "",
    "nces_id": "",
    "school_type": "",
    "grade_low": "",
    "grade_high": "",
    "title_i": "unknown",
    "town": "",
    "address": "",
    "zip_code": "",
    "label": "",
    "ruleset": "",
    "race": "",
}


#: ``DataFrame.attrs`` key under which :func:`target_frame` notes a partial table's columns.
PROVIDED = "provided_columns"


def target_frame(
    target: str,
    data: Mapping[str, Any],
    rows: Sequence[int] | np.ndarray,
    *,
    partial: bool = False,
) -> pd.DataFrame:
    """A frame with exactly the columns of ``target`` (in its order) and ``_row``.

    Columns not in ``data`` get their neutral value: ``""`` for text (``"unknown"`` for
    ``title_i``), False for flags (True for ``is_open``), ``{}`` for ``missing``/``inputs``,
    ``[]`` for ``reasons`` and None for numbers (a column the file does not carry is None with no
    reason). With ``partial``, the file provides only the columns in ``data`` (and the key
    columns): :func:`chunks_of` passes them on as ``Chunk.columns``, so the writers keep the
    stored values of the others.
    """
    n = len(rows)
    out: dict[str, Any] = {}
    for column in TARGETS[target].columns:
        if column in data:
            value = data[column]
            if isinstance(value, pd.Series):
                value = value.to_numpy()
            out[column] = np.full(n, value, dtype=object) if np.isscalar(value) else value
        elif column in ("missing", "inputs"):
            out[column] = [{} for _ in range(n)]
        elif column == "reasons":
            out[column] = [[] for _ in range(n)]
        elif column in _BOOL_COLUMNS:
            out[column] = np.full(n, column == "is_open", dtype=bool)
        elif column in _TEXT_DEFAULTS:
            out[column] = np.full(n, _TEXT_DEFAULTS[column], dtype=object)
        else:
            out[column] = np.full(n, None, dtype=object)
    out["_row"] = np.asarray(rows, dtype=np.int64)
    frame = pd.DataFrame(out)
    if partial:
        spec = TARGETS[target]
        frame.attrs[PROVIDED] = tuple(c for c in spec.columns if c in data or c in spec.key_columns)
    return frame


def chunks_of(
    target: str, frame: pd.DataFrame, chunk_rows: int, notes: Sequence[str] = ()
) -> Iterator[Chunk]:
    """``frame`` cut into chunks of at most ``chunk_rows`` rows (``notes`` on the first), with the
    columns a partial table provides (see :func:`target_frame`)."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    columns = frame.attrs.get(PROVIDED)
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows].reset_index(drop=True)
        part.attrs.pop(PROVIDED, None)
        yield Chunk(target, part, list(notes) if start == 0 else [], columns=columns)


def emit(
    parts: Sequence[tuple[str, pd.DataFrame, Sequence[str]]],
    *,
    options: Mapping[str, Any],
    chunk_rows: int,
    progress: Progress,
) -> Iterator[Chunk]:
    """Yield the asked-for targets in order, calling ``progress(rows done, rows in all)``."""
    parts = [p for p in parts if wanted(options, p[0])]
    total = sum(len(frame) for _, frame, _ in parts)
    done = 0
    progress(0, total)
    for target, frame, notes in parts:
        for chunk in chunks_of(target, frame, chunk_rows, notes):
            done += len(chunk.frame)
            yield chunk
            progress(done, total)


PartsReader = Callable[
    [Path, Mapping[str, Any], Problems], list[tuple[str, pd.DataFrame, list[str]]]
]


def read_state_file(
    path: Path,
    *,
    state: str,
    read_parts: PartsReader,
    options: Mapping[str, Any],
    progress: Progress,
    chunk_rows: int,
) -> Iterator[Chunk]:
    """A state's whole file: the import's state checked, the file read by ``read_parts`` (which
    records every problem), then, when nothing is wrong, its targets emitted in chunks."""
    path = Path(path)
    problems = Problems(path.name)
    check_state(options, state, problems)
    problems.raise_if_any()
    parts = read_parts(path, options, problems)
    problems.raise_if_any()
    yield from emit(parts, options=options, chunk_rows=chunk_rows, progress=progress)


# --- values ------------------------------------------------------------------------------------


def marker_reasons(
    cells: pd.Series, exact: Mapping[str, str] | None = None, blank: str = "missing"
) -> np.ndarray:
    """For each text cell, the reason it is missing (None when it holds a value).

    ``exact`` is checked on the cell as written (e.g. a lone space ``" "``); then the stripped
    cell goes through the markers every reader shares (:func:`~turnaround.imports.readers.
    template.marker_reason`: blank ``missing`` — or ``blank`` —, ``*``/``--``/``s``
    ``suppressed``, ``<10`` ``below_reporting_n``, ``N/A`` ``not_applicable``).
    """
    values = cells.tolist()
    out = np.empty(len(values), dtype=object)
    exact = exact or {}
    for i, raw in enumerate(values):
        text = "" if raw is None else str(raw)
        if text in exact:
            out[i] = exact[text]
            continue
        stripped = text.strip()
        out[i] = blank if stripped == "" else marker_reason(stripped)
    return out


def blank_markers(cells: pd.Series, reasons: np.ndarray) -> pd.Series:
    """``cells`` with every marker replaced by a blank, for the numeric converters."""
    values = ["" if r is not None else c for c, r in zip(cells.tolist(), reasons, strict=True)]
    return pd.Series(values, index=cells.index, dtype=object)


def missing_dicts(reasons: Mapping[str, np.ndarray], n: int) -> list[dict[str, str]]:
    """One ``{column: reason}`` dict per row from per-column reason arrays (None = present)."""
    out: list[dict[str, str]] = [{} for _ in range(n)]
    for column, column_reasons in reasons.items():
        for i in np.flatnonzero(pd.notna(column_reasons)):
            out[int(i)][column] = str(column_reasons[i])
    return out


def ints_or_none(values: pd.Series | np.ndarray) -> np.ndarray:
    """Whole numbers as Python ints in an object array, None where missing."""
    array = np.asarray(values, dtype=np.float64)
    out = np.empty(len(array), dtype=object)
    present = ~np.isnan(array)
    out[:] = None
    out[present] = [int(v) for v in array[present]]
    return out


def floats(values: pd.Series | np.ndarray) -> np.ndarray:
    """Numbers as float64 with NaN for missing."""
    return np.array(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=np.float64)


def text(values: pd.Series | Sequence[object]) -> np.ndarray:
    """Text cells stripped, ``""`` for None/NaN."""
    out = []
    for v in list(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        else:
            out.append(str(v).strip())
    return np.asarray(out, dtype=object)


def zip5(value: str) -> str:
    """The five-digit part of a ZIP or ZIP+4 (``"02351-1234"`` → ``"02351"``)."""
    return value.strip()[:5]


# --- grades ------------------------------------------------------------------------------------

#: Our grade codes, lowest first (``organizations.grades``).
GRADE_ORDER = ("PK", "K", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
_GRADE_RANK = {g: i for i, g in enumerate(GRADE_ORDER)}
_GRADE_ALIASES = {
    "PK": "PK",
    "PRE-K": "PK",
    "EE": "PK",  # Texas early education (ages 3–4): before kindergarten
    "K": "K",
    "KG": "K",
    "KF": "K",
    "KP": "K",
    "0K": "K",
    "00": "K",
}
#: Grade markers that are not a grade (special, ungraded, adult, not applicable, missing).
NO_GRADE = frozenset({"", "SP", "UG", "AE", "N", "M", "13", "IT", "PS", "-1", "-2", "-9"})


def grade_code(token: object) -> str | None:
    """Our grade code for a published one (``"KG"`` → ``"K"``, ``"6"`` → ``"06"``), or None.

    Grade 13 (a fifth high-school year some states report), ungraded, adult and special markers
    give None, as does anything unrecognised; :func:`known_grade` tells the two apart.
    """
    raw = str(token).strip().upper()
    if raw in _GRADE_ALIASES:
        return _GRADE_ALIASES[raw]
    if raw.isdigit() and 1 <= int(raw) <= 12:
        return f"{int(raw):02d}"
    return None


def known_grade(token: object) -> bool:
    """A grade code or a recognised non-grade marker (ungraded, adult, special, 13 …)."""
    raw = str(token).strip().upper()
    return grade_code(raw) is not None or raw in NO_GRADE


def grade_span(grades: Iterable[str | None]) -> tuple[str, str]:
    """Lowest and highest of our grade codes (``("", "")`` when there is none)."""
    known = sorted({g for g in grades if g}, key=_GRADE_RANK.__getitem__)
    return (known[0], known[-1]) if known else ("", "")


def school_type(low: str, high: str) -> str:
    """The ``organizations.SchoolType`` code of a grade span (``OTHER`` when ungraded)."""
    return school_type_for(low, high)


def grade_rank(code: str) -> int:
    return _GRADE_RANK[code]


# --- pseudonyms and keys -----------------------------------------------------------------------

MIN_KEY_LENGTH = 16


def pseudonym_key(options: Mapping[str, Any], problems: Problems) -> bytes | None:
    """``options["pseudonym_key"]`` as bytes (problems noted when absent or too short)."""
    key = options.get("pseudonym_key")
    if key is None or key == "" or key == b"":
        problems.add(
            None,
            None,
            None,
            "student ids are pseudonymised with a keyed hash: the pseudonym_key option is "
            "required (the platform's key for this state)",
        )
        return None
    data = key if isinstance(key, bytes) else str(key).encode("utf-8")
    if len(data) < MIN_KEY_LENGTH:
        problems.add(
            None,
            None,
            None,
            f"the pseudonym_key option must be at least {MIN_KEY_LENGTH} bytes long",
        )
        return None
    return data


def pseudonymise(ids: Iterable[str], key: bytes) -> list[str]:
    """HMAC-SHA256 of each id (UTF-8) under ``key``, hex (64 characters).

    The same id gives the same key in every file and reader, so a student's years link up; the
    id cannot be recovered without the key. Equal to ``hmac.digest(key, id, "sha256").hex()``,
    computed from the key's precomputed inner and outer states (RFC 2104), about three times
    faster than one ``hmac`` call per id.
    """
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for value in ids:
        i = inner.copy()
        i.update(value.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        out.append(o.hexdigest())
    return out


def _mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def ascii_hash64(values: np.ndarray | Sequence[str]) -> np.ndarray:
    """A 64-bit hash of ASCII strings of at most 64 characters, vectorised (no Python loop)."""
    packed = np.array(values, dtype="S64")
    words = packed.view(np.uint64).reshape(len(packed), 8)
    out = np.zeros(len(packed), dtype=np.uint64)
    for j in range(8):
        out = _mix64(out ^ words[:, j])
    return out


def combine_hash64(*parts: np.ndarray) -> np.ndarray:
    """One 64-bit hash from several uint64 (or integer) arrays."""
    out = np.zeros(len(parts[0]), dtype=np.uint64)
    for part in parts:
        out = _mix64(out ^ np.asarray(part).astype(np.uint64))
    return out


def key_hashes(columns: Sequence[np.ndarray | pd.Series]) -> np.ndarray:
    """A 64-bit hash per row of a tuple of columns (same values → same hash, in any chunk)."""
    frame = pd.DataFrame({str(i): np.asarray(c, dtype=object) for i, c in enumerate(columns)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


class KeyIndex:
    """The keys seen so far in a streamed file, as sorted 64-bit hashes with their first row.

    Eight bytes per key plus the row: a million keys take 16 MB, and two different keys share a
    hash with probability about 3·10⁻⁸ per million rows.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Add a chunk's keys; return, per row, the earlier row with the same key (or -1)."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        rows = np.asarray(rows, dtype=np.int64)
        first = np.full(len(hashes), -1, dtype=np.int64)
        if len(hashes) == 0:
            return first
        if len(self._hashes):
            pos = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
            seen = self._hashes[pos] == hashes
            first[seen] = self._rows[pos[seen]]
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = np.empty(len(ordered), dtype=bool)
        repeat[0] = False
        repeat[1:] = ordered[1:] == ordered[:-1]
        run_start = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(ordered))))
        within = np.full(len(hashes), -1, dtype=np.int64)
        within[order[repeat]] = rows[order[run_start[repeat]]]
        take = (first == -1) & (within != -1)
        first[take] = within[take]
        new = order[~repeat]
        new = new[first[new] == -1]
        merged_hashes = np.concatenate([self._hashes, hashes[new]])
        merged_rows = np.concatenate([self._rows, rows[new]])
        merge = np.argsort(merged_hashes, kind="stable")
        self._hashes = merged_hashes[merge]
        self._rows = merged_rows[merge]
        return first


def report_duplicates(
    problems: Problems,
    first: np.ndarray,
    rows: np.ndarray,
    column: str,
    describe: Callable[[int], tuple[object, str]],
) -> None:
    """Note every row whose key repeats an earlier row's.

    ``describe(i)`` gives the value shown for row ``i`` and the key as text; the value passes
    through :class:`Problems`, so a hidden column's value is never shown.
    """
    for i in np.flatnonzero(first >= 0):
        value, key = describe(int(i))
        problems.add(int(rows[i]), column, value, f"duplicate key ({key}) of row {int(first[i])}")
