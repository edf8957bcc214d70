"""Grade codes and school types derived from the grades a school offers."""

from __future__ import annotations

GRADE_CODES = ["PK", "K", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
_ORDER = {code: i for i, code in enumerate(GRADE_CODES)}
_ALIASES = {"KG": "K", "KF": "K", "KP": "K", "00": "K", "0K": "K"}


def normalise_grade(code: str) -> str:
    raw = code.strip().upper()
    raw = _ALIASES.get(raw, raw)
    if raw.isdigit():
        raw = raw.zfill(2)
    if raw not in _ORDER:
        raise ValueError(f"unknown grade code {code!r}; expected one of {', '.join(GRADE_CODES)}")
    return raw


def grade_range(grades: list[str]) -> tuple[str, str]:
    """Lowest and highest of a list of grade codes (ignoring SP/UG/AE markers)."""
    known = [normalise_grade(g) for g in grades if g.strip().upper() not in {"SP", "UG", "AE", ""}]
    if not known:
        raise ValueError("no recognised grade in the list")
    ordered = sorted(known, key=_ORDER.__getitem__)
    return ordered[0], ordered[-1]


def grade_span_label(low: str, high: str) -> str:
    if not low and not high:
        return "Ungraded"
    return low if low == high else f"{low}–{high}"


def school_type_for(low: str, high: str) -> str:
    """A school type code (see SchoolType) from the grade span ("" and "" for ungraded)."""
    if not low or not high:
        return "OTHER"
    lo, hi = _ORDER[low], _ORDER[high]
    g = {code: _ORDER[code] for code in ("K", "04", "05", "06", "08", "09", "10")}
    if hi <= g["K"]:
        return "EC"
    if lo <= g["04"] and hi >= g["10"]:
        return "K12"
    if hi <= g["06"]:
        return "ES"
    if lo <= g["04"] and hi <= g["09"]:
        return "EMS"
    if lo >= g["05"] and hi <= g["09"]:
        return "MS"
    if lo >= g["09"]:
        return "HS"
    if lo >= g["05"]:
        return "MHS"
    return "OTHER"
