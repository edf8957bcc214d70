"""Frameworks as files: one documented schema, read from and written to YAML or JSON.

The document (``format: turnaround-framework/1``)::

    format: turnaround-framework/1      # optional; this schema's name and version
    key: turnaround-practices           # required; lower-case letters, digits, dashes
    name: Turnaround Practices          # required
    kind: school                        # school | district (default school)
    practice_term: Practice             # what the framework calls a practice (default Practice)
    component_term: Component           # … and a component (default Component)
    description: …                      # optional text
    label: 2016 rubric                  # optional label of this version
    notes: what changed                 # optional notes of this version
    scale: continuum                    # a scale's key, or the scale written out:
    # scale:
    #   key: continuum
    #   name: Four-level continuum
    #   description: …
    #   allows_not_priority: false
    #   levels:                         # codes 0, 1, 2 … in order, each with a unique label
    #     - {code: 0, label: No evidence, description: …}
    practices:                          # at least one
      - code: TP1                       # codes: 1–32 letters, digits, dots, dashes, underscores
        name: Leadership …              # required
        summary: …
        components:
          - code: TP1.A
            name: Vision and high expectations   # required
            description: …
            indicators:
              - code: TP1.1             # unique in the whole document
                text: …                 # required: the observable indicator
                look_fors: …            # what reviewers look and listen for
                is_key: true            # KEY (high leverage), default false
                tags: [cst-focus-areas:district-capacity]   # taxonomy-key:tag-key
                descriptors:            # level code → what the indicator looks like there
                  0: …
                  1: …
                derived_from: TP1.3     # crosswalk, see below

Codes are stable: the same code in two versions means the same thing. When a document is
imported as a new version of an existing framework, each indicator continues (``derived_from``)
the indicator of the same code in the version it follows, unless it names another code there
(a renamed or merged indicator) or says ``derived_from: null`` (a new indicator that reuses a
code). A new framework has no earlier version, so ``derived_from`` must not name a code.
Descriptors may be incomplete while a version is a draft; publishing needs one per scale level.

Reading checks the whole document first and reports every problem with its location, e.g.
``practices[1].components[0].indicators[2].descriptors: level 4 is not on the scale 'continuum'
(levels 0–3)``; the services then write nothing unless there were none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from turnaround.frameworks.models import (
    Component,
    Framework,
    FrameworkVersion,
    Indicator,
    Practice,
    RatingScale,
    Tag,
    code_validator,
    key_validator,
)
from turnaround.frameworks.problems import FrameworkError, Loc, Problem
from turnaround.organizations.models import State

FORMAT = "turnaround-framework/1"
Format = Literal["yaml", "json"]
FORMATS: tuple[Format, ...] = ("yaml", "json")
MAX_DOCUMENT_BYTES = 2_000_000

TOP_FIELDS = (
    "format",
    "key",
    "name",
    "kind",
    "practice_term",
    "component_term",
    "description",
    "label",
    "notes",
    "scale",
    "practices",
)
SCALE_FIELDS = ("key", "name", "description", "allows_not_priority", "levels")
LEVEL_FIELDS = ("code", "label", "description")
PRACTICE_FIELDS = ("code", "name", "summary", "components")
COMPONENT_FIELDS = ("code", "name", "description", "indicators")
INDICATOR_FIELDS = (
    "code",
    "text",
    "look_fors",
    "is_key",
    "tags",
    "descriptors",
    "derived_from",
)

_UNSET: Any = object()


# ---------------------------------------------------------------------------------------------
# The validated content


@dataclass
class LevelSpec:
    code: int
    label: str
    description: str = ""


@dataclass
class ScaleSpec:
    key: str
    name: str = ""
    description: str = ""
    allows_not_priority: bool = False
    levels: list[LevelSpec] = field(default_factory=list)
    #: the stored scale this refers to, or None when the import creates it
    existing: RatingScale | None = None


@dataclass
class IndicatorSpec:
    code: str
    text: str
    look_fors: str = ""
    is_key: bool = False
    tags: list[str] = field(default_factory=list)
    descriptors: dict[int, str] = field(default_factory=dict)
    #: code of the indicator of the previous version this one continues, or None
    derived_from: str | None = None


@dataclass
class ComponentSpec:
    code: str
    name: str
    description: str = ""
    indicators: list[IndicatorSpec] = field(default_factory=list)


@dataclass
class PracticeSpec:
    code: str
    name: str
    summary: str = ""
    components: list[ComponentSpec] = field(default_factory=list)


@dataclass
class FrameworkSpec:
    key: str
    name: str
    kind: str
    practice_term: str
    component_term: str
    description: str
    label: str
    notes: str
    scale: ScaleSpec
    practices: list[PracticeSpec]
    #: where the import lands: the existing framework (a new version) or None (a new framework)
    state: State | None = None
    framework: Framework | None = None
    previous: FrameworkVersion | None = None
    previous_codes: frozenset[str] = frozenset()
    tags: dict[str, Tag] = field(default_factory=dict)

    def indicators(self) -> Iterable[IndicatorSpec]:
        for p in self.practices:
            for c in p.components:
                yield from c.indicators


# ---------------------------------------------------------------------------------------------
# Parsing text


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, everything else as PyYAML writes it."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_presenter)


def guess_format(filename: str = "", text: str | bytes = "") -> Format:
    """``json`` for a .json name or text starting with ``{``; otherwise ``yaml``."""
    if filename.lower().endswith(".json"):
        return "json"
    if filename.lower().endswith((".yaml", ".yml")):
        return "yaml"
    head = text[:1] if isinstance(text, str) else text[:1].decode("ascii", "ignore")
    return "json" if head.lstrip()[:1] == "{" else "yaml"


def parse(text: str | bytes, fmt: Format | None = None, *, filename: str = "") -> Any:
    """The document in ``text``; a FrameworkError saying where the syntax is wrong."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise FrameworkError(f"the file is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FrameworkError(f"the file is not UTF-8 text ({exc.reason})") from exc
    fmt = fmt or guess_format(filename, text)
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FrameworkError(
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FrameworkError(f"not valid YAML: {exc.problem}{where}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"not valid YAML: {exc}") from exc


def dumps(document: Mapping[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    header = f"# {document.get('name', 'Framework')} — {FORMAT} (see turnaround.frameworks.io)\n"
    body = yaml.dump(
        dict(document),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return header + body


# ---------------------------------------------------------------------------------------------
# Checking a document


class _Checker:
    """Collects problems while reading untrusted, loosely typed data."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, loc: Loc, msg: str) -> None:
        self.problems.append(Problem(loc, msg))

    def mapping(self, value: Any, loc: Loc, allowed: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(loc, f"must be a mapping of fields, not {_kind(value)}")
            return None
        allowed = tuple(allowed)
        for name in value:
            if name not in allowed:
                self.add((*loc, str(name)), f"unknown field; allowed: {', '.join(allowed)}")
        return dict(value)

    def items(self, obj: Mapping[str, Any], name: str, loc: Loc) -> list[Any]:
        value = obj.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add((*loc, name), f"must be a list, not {_kind(value)}")
            return []
        return value

    def text(
        self,
        obj: Mapping[str, Any],
        name: str,
        loc: Loc,
        *,
        required: bool = False,
        max_length: int | None = None,
        default: str = "",
    ) -> str:
        value = obj.get(name)
        if value is None:
            if required:
                self.add((*loc, name), "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add((*loc, name), f"must be text, not {_kind(value)}")
            return default
        text = str(value).strip()
        if required and not text:
            self.add((*loc, name), "must not be empty")
        if max_length is not None and len(text) > max_length:
            self.add((*loc, name), f"is {len(text)} characters long; at most {max_length}")
        return text or default

    def identifier(
        self, obj: Mapping[str, Any], name: str, loc: Loc, validator: Callable[[str], None]
    ) -> str:
        value = obj.get(name)
        if value is None or value == "":
            self.add((*loc, name), "is required")
            return ""
        if isinstance(value, (float, bool)):
            self.add((*loc, name), f"must be text; write {value!r} in quotes")
            return ""
        if not isinstance(value, (str, int)):
            self.add((*loc, name), f"must be text, not {_kind(value)}")
            return ""
        text = str(value).strip()
        try:
            validator(text)
        except ValidationError as exc:
            self.add((*loc, name), f"{text!r}: {' '.join(exc.messages)}")
        return text

    def boolean(self, obj: Mapping[str, Any], name: str, loc: Loc) -> bool:
        value = obj.get(name, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add((*loc, name), f"must be true or false, not {value!r}")
            return False
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _level_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _range(codes: list[int]) -> str:
    if not codes:
        return "none"
    codes = sorted(codes)
    if codes == list(range(codes[0], codes[-1] + 1)) and len(codes) > 1:
        return f"{codes[0]}–{codes[-1]}"
    return ", ".join(str(c) for c in codes)


def _find_scale(key: str, state: State | None) -> RatingScale | None:
    if state is not None:
        own = RatingScale.objects.filter(state=state, key=key).first()
        if own is not None:
            return own
    return RatingScale.objects.filter(state__isnull=True, key=key).first()


def _scale(ck: _Checker, value: Any, state: State | None) -> ScaleSpec | None:
    loc: Loc = ("scale",)
    if value is None:
        ck.add(loc, "is required: a scale's key (e.g. continuum) or the scale with its levels")
        return None
    if isinstance(value, str):
        existing = _find_scale(value.strip(), state)
        if existing is None:
            known = sorted(
                RatingScale.objects.filter(state__isnull=True).values_list("key", flat=True)
            )
            ck.add(loc, f"no rating scale {value!r}; known scales: {', '.join(known) or 'none'}")
            return None
        return _spec_of_scale(existing)
    obj = ck.mapping(value, loc, SCALE_FIELDS)
    if obj is None:
        return None
    key = ck.identifier(obj, "key", loc, key_validator)
    spec = ScaleSpec(
        key=key,
        name=ck.text(obj, "name", loc, required=True, max_length=200),
        description=ck.text(obj, "description", loc),
        allows_not_priority=ck.boolean(obj, "allows_not_priority", loc),
    )
    labels: dict[str, int] = {}
    for i, raw in enumerate(ck.items(obj, "levels", loc)):
        lloc: Loc = (*loc, "levels", i)
        level = ck.mapping(raw, lloc, LEVEL_FIELDS)
        if level is None:
            continue
        code = _level_code(level.get("code"))
        if code != i:
            ck.add((*lloc, "code"), f"must be {i}: levels are numbered 0, 1, 2 … in order")
        label = ck.text(level, "label", lloc, required=True, max_length=100)
        if label and label.lower() in labels:
            ck.add((*lloc, "label"), f"{label!r} is already the label of level {labels[label]}")
        labels[label.lower()] = i
        spec.levels.append(LevelSpec(i, label, ck.text(level, "description", lloc)))
    if len(spec.levels) < 2:
        ck.add((*loc, "levels"), "a scale needs at least two levels")
    if key:
        existing = _find_scale(key, state)
        if existing is not None:
            stored = [(lv.code, lv.label) for lv in existing.levels.all()]
            given = [(lv.code, lv.label) for lv in spec.levels]
            if stored != given:
                shown = ", ".join(f"{c} {lbl}" for c, lbl in stored)
                ck.add(
                    (*loc, "levels"),
                    f"scale {key!r} already exists with levels {shown}; refer to it by key, "
                    "or give this scale another key",
                )
            spec.existing = existing
    return spec


def _spec_of_scale(scale: RatingScale) -> ScaleSpec:
    return ScaleSpec(
        key=scale.key,
        name=scale.name,
        description=scale.description,
        allows_not_priority=scale.allows_not_priority,
        levels=[LevelSpec(lv.code, lv.label, lv.description) for lv in scale.levels.all()],
        existing=scale,
    )


def _known_tags() -> dict[str, Tag]:
    return {f"{t.taxonomy.key}:{t.key}": t for t in Tag.objects.select_related("taxonomy").all()}


def validate_document(data: Any, *, state: State | None) -> FrameworkSpec:
    """The content of ``data`` checked against the schema and the database; a FrameworkError
    listing every problem otherwise. Reads only."""
    ck = _Checker()
    top = ck.mapping(data, (), TOP_FIELDS)
    if top is None:
        raise FrameworkError(ck.problems)
    fmt = top.get("format")
    if fmt is not None and fmt != FORMAT:
        ck.add(("format",), f"must be {FORMAT!r}, not {fmt!r}")
    key = ck.identifier(top, "key", (), key_validator)
    kind = ck.text(top, "kind", (), default=Framework.Kind.SCHOOL)
    if kind not in Framework.Kind.values:
        ck.add(("kind",), f"{kind!r} is not a kind; allowed: {', '.join(Framework.Kind.values)}")
    scale = _scale(ck, top.get("scale"), state)
    spec = FrameworkSpec(
        key=key,
        name=ck.text(top, "name", (), required=True, max_length=200),
        kind=kind,
        practice_term=ck.text(top, "practice_term", (), max_length=40, default="Practice"),
        component_term=ck.text(top, "component_term", (), max_length=40, default="Component"),
        description=ck.text(top, "description", ()),
        label=ck.text(top, "label", (), max_length=100),
        notes=ck.text(top, "notes", ()),
        scale=scale or ScaleSpec(key=""),
        practices=[],
        state=state,
    )
    # Where the import lands: a new version of the scope's framework with this key, or a new one
    if key:
        spec.framework = Framework.objects.filter(state=state, key=key).first()
    if spec.framework is not None:
        latest = spec.framework.versions.order_by("-number").first()
        if latest is not None and latest.status == FrameworkVersion.Status.DRAFT:
            ck.add(
                ("key",),
                f"{spec.framework.name} already has a draft, v{latest.number}; publish or "
                "discard it before importing another version",
            )
        if kind and spec.framework.kind != kind:
            ck.add(
                ("kind",),
                f"{spec.framework.name} is a {spec.framework.kind} framework; an import cannot "
                f"change it to {kind}",
            )
        spec.previous = latest
        if latest is not None:
            spec.previous_codes = frozenset(latest.indicators.values_list("code", flat=True))
    levels = {lv.code for lv in scale.levels} if scale else None
    _content(ck, top, spec, levels)
    if ck.problems:
        raise FrameworkError(ck.problems)
    return spec


def _content(
    ck: _Checker, top: Mapping[str, Any], spec: FrameworkSpec, levels: set[int] | None
) -> None:
    known_tags = _known_tags()
    seen: dict[str, dict[str, Loc]] = {"practice": {}, "component": {}, "indicator": {}}

    def unique(kind: str, code: str, loc: Loc) -> None:
        if not code:
            return
        first = seen[kind].get(code)
        if first is not None:
            ck.add((*loc, "code"), f"{code} is used twice (also at {Problem(first, '').where})")
        else:
            seen[kind][code] = loc

    practices = ck.items(top, "practices", ())
    if not practices and "practices" not in {p.loc[0] for p in ck.problems if p.loc}:
        ck.add(("practices",), "a framework needs at least one practice")
    for pi, raw_p in enumerate(practices):
        ploc: Loc = ("practices", pi)
        p = ck.mapping(raw_p, ploc, PRACTICE_FIELDS)
        if p is None:
            continue
        pspec = PracticeSpec(
            code=ck.identifier(p, "code", ploc, code_validator),
            name=ck.text(p, "name", ploc, required=True, max_length=300),
            summary=ck.text(p, "summary", ploc),
        )
        unique("practice", pspec.code, ploc)
        spec.practices.append(pspec)
        for ci, raw_c in enumerate(ck.items(p, "components", ploc)):
            cloc: Loc = (*ploc, "components", ci)
            c = ck.mapping(raw_c, cloc, COMPONENT_FIELDS)
            if c is None:
                continue
            cspec = ComponentSpec(
                code=ck.identifier(c, "code", cloc, code_validator),
                name=ck.text(c, "name", cloc, required=True, max_length=300),
                description=ck.text(c, "description", cloc),
            )
            unique("component", cspec.code, cloc)
            pspec.components.append(cspec)
            for ii, raw_i in enumerate(ck.items(c, "indicators", cloc)):
                iloc: Loc = (*cloc, "indicators", ii)
                ind = ck.mapping(raw_i, iloc, INDICATOR_FIELDS)
                if ind is None:
                    continue
                ispec = _indicator(ck, ind, iloc, spec, levels, known_tags)
                unique("indicator", ispec.code, iloc)
                cspec.indicators.append(ispec)


def _indicator(
    ck: _Checker,
    ind: Mapping[str, Any],
    loc: Loc,
    spec: FrameworkSpec,
    levels: set[int] | None,
    known_tags: dict[str, Tag],
) -> IndicatorSpec:
    ispec = IndicatorSpec(
        code=ck.identifier(ind, "code", loc, code_validator),
        text=ck.text(ind, "text", loc, required=True),
        look_fors=ck.text(ind, "look_fors", loc),
        is_key=ck.boolean(ind, "is_key", loc),
    )
    # tags
    tags: list[str] = []
    for ti, raw_t in enumerate(ck.items(ind, "tags", loc)):
        tloc: Loc = (*loc, "tags", ti)
        if not isinstance(raw_t, str) or ":" not in raw_t:
            ck.add(tloc, f"{raw_t!r} is not a tag; write taxonomy-key:tag-key")
            continue
        ref = raw_t.strip()
        if ref not in known_tags:
            taxonomy = ref.split(":", 1)[0]
            near = sorted(k.split(":", 1)[1] for k in known_tags if k.startswith(taxonomy + ":"))
            hint = (
                f"; tags of {taxonomy}: {', '.join(near)}"
                if near
                else f"; no taxonomy {taxonomy!r}"
            )
            ck.add(tloc, f"unknown tag {ref!r}{hint}")
            continue
        spec.tags[ref] = known_tags[ref]
        if ref not in tags:
            tags.append(ref)
    ispec.tags = sorted(tags)
    # descriptors: a mapping level → text, or a list of {level, text}
    raw_d = ind.get("descriptors")
    dloc: Loc = (*loc, "descriptors")
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw_d, Mapping):
        pairs = list(raw_d.items())
    elif isinstance(raw_d, list):
        for di, item in enumerate(raw_d):
            if isinstance(item, Mapping) and set(item) <= {"level", "text"}:
                pairs.append((item.get("level"), item.get("text")))
            else:
                ck.add((*dloc, di), "must be a mapping with level and text")
    elif raw_d is not None:
        ck.add(dloc, f"must map each level code to its text, not {_kind(raw_d)}")
    scale_name = spec.scale.key or "of this framework"
    for raw_level, raw_text in pairs:
        level = _level_code(raw_level)
        if level is None:
            ck.add(dloc, f"{raw_level!r} is not a level code (a whole number such as 0)")
            continue
        if levels is not None and level not in levels:
            ck.add(
                dloc,
                f"level {level} is not on the scale '{scale_name}' (levels {_range(list(levels))})",
            )
            continue
        if level in ispec.descriptors:
            ck.add(dloc, f"level {level} is described twice")
            continue
        if not isinstance(raw_text, (str, int, float)) or isinstance(raw_text, bool):
            ck.add((*dloc, level), f"must be text, not {_kind(raw_text)}")
            continue
        text = str(raw_text).strip()
        if not text:
            ck.add((*dloc, level), "must not be empty; leave the level out instead")
            continue
        ispec.descriptors[level] = text
    ispec.descriptors = dict(sorted(ispec.descriptors.items()))
    # crosswalk
    if "derived_from" in ind:
        raw_from = ind["derived_from"]
        if raw_from is None or raw_from == "":
            ispec.derived_from = None
        elif not isinstance(raw_from, (str, int)) or isinstance(raw_from, bool):
            ck.add((*loc, "derived_from"), f"must be an indicator code, not {_kind(raw_from)}")
        elif spec.previous is None:
            ck.add(
                (*loc, "derived_from"),
                f"{raw_from}: there is no earlier version to continue (this import creates a "
                "new framework)",
            )
        elif str(raw_from).strip() not in spec.previous_codes:
            ck.add(
                (*loc, "derived_from"),
                f"{raw_from} is not an indicator of v{spec.previous.number}, the version this "
                "import follows",
            )
        else:
            ispec.derived_from = str(raw_from).strip()
    elif ispec.code in spec.previous_codes:
        ispec.derived_from = ispec.code
    return ispec


# ---------------------------------------------------------------------------------------------
# The canonical document: what export writes and what an import is compared with


def _scale_document(
    key: str, name: str, description: str, allows_not_priority: bool, levels: Iterable[Any]
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "description": description,
        "allows_not_priority": allows_not_priority,
        "levels": [
            {"code": lv.code, "label": lv.label, "description": lv.description} for lv in levels
        ],
    }


def _indicator_document(
    *,
    code: str,
    text: str,
    look_fors: str,
    is_key: bool,
    tags: list[str],
    descriptors: dict[int, str],
    derived_from: str | None,
    previous_codes: frozenset[str],
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": code,
        "text": text,
        "look_fors": look_fors,
        "is_key": is_key,
        "tags": sorted(tags),
        "descriptors": dict(sorted(descriptors.items())),
    }
    if derived_from is not None and derived_from != code:
        doc["derived_from"] = derived_from
    elif derived_from is None and code in previous_codes:
        doc["derived_from"] = None
    return doc


def _head(
    *,
    key: str,
    name: str,
    kind: str,
    practice_term: str,
    component_term: str,
    description: str,
    label: str,
    notes: str,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "key": key,
        "name": name,
        "kind": kind,
        "practice_term": practice_term,
        "component_term": component_term,
        "description": description,
        "label": label,
        "notes": notes,
    }


def spec_document(spec: FrameworkSpec) -> dict[str, Any]:
    """The canonical document of validated content (equal to the export of what it would store)."""
    doc = _head(
        key=spec.key,
        name=spec.name,
        kind=spec.kind,
        practice_term=spec.practice_term,
        component_term=spec.component_term,
        description=spec.description,
        label=spec.label,
        notes=spec.notes,
    )
    s = spec.scale
    doc["scale"] = _scale_document(s.key, s.name, s.description, s.allows_not_priority, s.levels)
    doc["practices"] = [
        {
            "code": p.code,
            "name": p.name,
            "summary": p.summary,
            "components": [
                {
                    "code": c.code,
                    "name": c.name,
                    "description": c.description,
                    "indicators": [
                        _indicator_document(
                            code=i.code,
                            text=i.text,
                            look_fors=i.look_fors,
                            is_key=i.is_key,
                            tags=i.tags,
                            descriptors=i.descriptors,
                            derived_from=i.derived_from,
                            previous_codes=spec.previous_codes,
                        )
                        for i in c.indicators
                    ],
                }
                for c in p.components
            ],
        }
        for p in spec.practices
    ]
    return doc


def content_queryset(version: FrameworkVersion) -> Any:
    """The version's practices with components, indicators, descriptors and tags prefetched."""
    indicators = (
        Indicator.objects.order_by("position", "code")
        .select_related("derived_from__framework_version__framework")
        .prefetch_related("descriptors", Prefetch("tags", Tag.objects.select_related("taxonomy")))
    )
    components = Component.objects.order_by("position", "code").prefetch_related(
        Prefetch("indicators", queryset=indicators)
    )
    return (
        Practice.objects.filter(framework_version=version)
        .order_by("position", "code")
        .prefetch_related(Prefetch("components", queryset=components))
    )


def version_document(version: FrameworkVersion) -> dict[str, Any]:
    """The canonical document of a stored version: what ``export`` writes."""
    framework = version.framework
    previous_codes: frozenset[str] = frozenset()
    if version.previous_id is not None:
        previous_codes = frozenset(
            Indicator.objects.filter(framework_version_id=version.previous_id).values_list(
                "code", flat=True
            )
        )
    doc = _head(
        key=framework.key,
        name=framework.name,
        kind=framework.kind,
        practice_term=framework.practice_term,
        component_term=framework.component_term,
        description=framework.description,
        label=version.label,
        notes=version.notes,
    )
    scale = version.scale
    doc["scale"] = _scale_document(
        scale.key, scale.name, scale.description, scale.allows_not_priority, scale.levels.all()
    )
    doc["practices"] = [
        {
            "code": p.code,
            "name": p.name,
            "summary": p.summary,
            "components": [
                {
                    "code": c.code,
                    "name": c.name,
                    "description": c.description,
                    "indicators": [
                        _indicator_document(
                            code=i.code,
                            text=i.text,
                            look_fors=i.look_fors,
                            is_key=i.is_key,
                            tags=[f"{t.taxonomy.key}:{t.key}" for t in i.tags.all()],
                            descriptors={d.level_code: d.text for d in i.descriptors.all()},
                            derived_from=i.derived_from.code if i.derived_from else None,
                            previous_codes=previous_codes,
                        )
                        for i in c.indicators.all()
                    ],
                }
                for c in p.components.all()
            ],
        }
        for p in content_queryset(version)
    ]
    return doc


def export_filename(version: FrameworkVersion, fmt: Format) -> str:
    scope = version.framework.state.code.lower() + "-" if version.framework.state_id else ""
    return f"{scope}{version.framework.key}-v{version.number}.{fmt}"
