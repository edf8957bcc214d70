"""Exit criteria of a designation and their evaluation against the evidence (pure).

A designation carries its exit criteria as data (``[{"kind": "median_sgp", "low": 40}, …]``);
:func:`criteria_from_data` validates them, naming the allowed kinds, parameters and values, and
:func:`exit_evaluate` judges each against an :class:`ExitEvidence` — the school's yearly outcomes,
median SGPs, graduation rates and plan goals as stored — returning, per criterion, *met*, *not
met* or *no data* with the values that decided it (``reference/accountability.md`` §3).

Kinds
-----
``annual_goals``
    The plan's measurable annual goals for the review year are met (``min_share`` of them, all by
    default). A goal without a value for the year is not judged.
``median_sgp``
    Median SGP in the review year at least ``low`` (and at most ``high`` when given) in each of
    ``subjects`` for each of ``groups``, from at least ``min_n`` students. All students must be
    measurable; a smaller group with too few students is reported and not judged.
``level_at_most``
    The level (1 best … 5) at most ``max_level`` in ``years`` consecutive rated years ending with
    the review year.
``rating_in`` / ``status_not``
    The determination's label among ``labels`` (e.g. A, B, C) / not among them (e.g. CSI), in
    ``years`` consecutive rated years ending with the review year.
``percentile_at_least``
    The school percentile at least ``min`` in ``years`` consecutive rated years.
``graduation_at_least``
    The four-year graduation rate at least ``min`` (%) in ``years`` consecutive years.

Consecutive years skip paused years (not rated, held harmless, no accountability that year):
they neither count nor break the run. A year with no outcome at all ends the look-back: with too
few years the criterion has *no data*, never *met*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

MET, NOT_MET, NO_DATA = "met", "not_met", "no_data"
RESULT_LABELS = MappingProxyType({MET: "Met", NOT_MET: "Not met", NO_DATA: "No data"})
SUBJECTS: tuple[str, ...] = ("ELA", "MATH", "SCI")
GROUPS: tuple[str, ...] = (
    "all",
    "high_needs",
    "econ_disadv",
    "el",
    "swd",
    "black",
    "asian",
    "hispanic",
    "white",
    "multirace",
    "amind",
    "pacisl",
)
#: How far back a consecutive-years criterion looks for rated years.
LOOK_BACK = 15


class CriterionError(ValueError):
    """Exit criteria that cannot be used; ``problems`` names each with what is allowed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


# --- parameter specifications ------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    kind: str  # "int", "float", "float?", "strs"
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        if self.kind == "strs":
            if self.choices:
                return "a list of one or more of " + ", ".join(self.choices)
            return "a list of one or more labels"
        what = "a whole number" if self.kind == "int" else "a number"
        bounds = ""
        if self.minimum is not None and self.maximum is not None:
            bounds = f" from {self.minimum:g} to {self.maximum:g}"
        elif self.minimum is not None:
            bounds = f" ≥ {self.minimum:g}"
        extra = " or empty (no upper bound)" if self.kind == "float?" else ""
        return f"{what}{bounds}{extra}"

    def coerce(self, value: object) -> object:
        """The value converted, or ValueError with the reason."""
        if self.kind == "strs":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                raise ValueError("not a list")
            cleaned = tuple(str(v).strip() for v in items if str(v).strip())
            if not cleaned:
                raise ValueError("no values given")
            if self.choices:
                bad = [v for v in cleaned if v not in self.choices]
                if bad:
                    raise ValueError(f"{bad[0]!r} is not allowed")
            if len(set(cleaned)) != len(cleaned):
                raise ValueError("a value is repeated")
            return cleaned
        if self.kind == "float?" and (value is None or value == ""):
            return None
        number = _number(value)
        if number is None:
            raise ValueError("not a number")
        if self.kind == "int":
            if not float(number).is_integer():
                raise ValueError("not a whole number")
            number = int(number)
        else:
            number = float(number)
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{number:g} is below {self.minimum:g}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{number:g} is above {self.maximum:g}")
        return number


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_YEARS = _Spec("years", "int", 2, 1, 10)

SPECS: Mapping[str, tuple[_Spec, ...]] = MappingProxyType(
    {
        "annual_goals": (_Spec("min_share", "float", 1.0, 0.0, 1.0),),
        "median_sgp": (
            _Spec("low", "float", 40.0, 1, 99),
            _Spec("high", "float?", None, 1, 99),
            _Spec("subjects", "strs", ("ELA", "MATH"), choices=SUBJECTS),
            _Spec("groups", "strs", ("all", "high_needs"), choices=GROUPS),
            _Spec("min_n", "int", 20, 1, 1000),
        ),
        "level_at_most": (_Spec("max_level", "int", 3, 1, 5), _YEARS),
        "rating_in": (_Spec("labels", "strs", ("A", "B", "C")), _YEARS),
        "status_not": (_Spec("labels", "strs", ("CSI",)), _YEARS),
        "percentile_at_least": (_Spec("min", "int", 20, 1, 99), _Spec("years", "int", 1, 1, 10)),
        "graduation_at_least": (
            _Spec("min", "float", 67.0, 0, 100),
            _Spec("years", "int", 1, 1, 10),
        ),
    }
)
KINDS: tuple[str, ...] = tuple(SPECS)
KIND_LABELS = MappingProxyType(
    {
        "annual_goals": "Measurable annual goals met",
        "median_sgp": "Median student growth percentile in range",
        "level_at_most": "Level at or better than a threshold for consecutive years",
        "rating_in": "Rating among acceptable ratings for consecutive years",
        "status_not": "Not identified for consecutive years",
        "percentile_at_least": "School percentile at least a value",
        "graduation_at_least": "Four-year graduation rate at least a value",
    }
)


def _words(items: Sequence[str], conj: str = "and") -> str:
    shown = [s.replace("_", " ") if s != "all" else "all students" for s in items]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {conj} " + shown[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class Criterion:
    """One exit criterion: a kind and its validated parameters."""

    kind: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def get(self, name: str) -> object:
        return self.params[name]

    def num(self, name: str) -> float:
        value = self.params[name]
        assert isinstance(value, int | float)
        return float(value)

    def strs(self, name: str) -> tuple[str, ...]:
        value = self.params[name]
        assert isinstance(value, tuple)
        return value

    @property
    def label(self) -> str:
        """The criterion in words."""
        k = self.kind
        if k == "annual_goals":
            share = self.num("min_share")
            return "Measurable annual goals met" + (
                "" if share >= 1.0 else f" (at least {share:.0%} of them)"
            )
        if k == "median_sgp":
            high = self.params["high"]
            rng = (
                f"≥ {self.num('low'):g}"
                if high is None
                else f"between {self.num('low'):g} and {self.num('high'):g}"
            )
            return (
                f"Median SGP {rng} in {_words(self.strs('subjects'))} for "
                f"{_words(self.strs('groups'))}"
            )
        years = int(self.num("years"))
        span = "in the review year" if years == 1 else f"for {years} consecutive rated years"
        if k == "level_at_most":
            return f"Level {int(self.num('max_level'))} or better {span}"
        if k == "rating_in":
            return f"Rated {_words(self.strs('labels'), 'or')} {span}"
        if k == "status_not":
            return f"Not identified {_words(self.strs('labels'), 'or')} {span}"
        if k == "percentile_at_least":
            return f"School percentile ≥ {int(self.num('min'))} {span}"
        return f"Four-year graduation rate ≥ {self.num('min'):g}% {span}"

    def as_data(self) -> dict[str, object]:
        """A JSON-ready dict that :func:`criteria_from_data` reads back."""
        out: dict[str, object] = {"kind": self.kind}
        for name, value in self.params.items():
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


def criterion_make(kind: str, **params: object) -> Criterion:
    """A criterion with defaults for the parameters not given; CriterionError otherwise."""
    return criteria_from_data([{"kind": kind, **params}])[0]


def criteria_from_data(items: Sequence[Mapping[str, object]]) -> tuple[Criterion, ...]:
    """Validate criteria given as dicts (``{"kind": …, param: value}``).

    Raises
    ------
    CriterionError
        Listing every problem: unknown kinds (naming the allowed ones), unknown parameters
        (naming each kind's parameters) and invalid values (naming what is allowed), and a kind
        given twice.
    """
    problems: list[str] = []
    out: list[Criterion] = []
    seen: set[str] = set()
    if not isinstance(items, list | tuple):
        raise CriterionError(["exit criteria must be a list of criteria"])
    for position, item in enumerate(items, start=1):
        where = f"criterion {position}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be an object with a kind")
            continue
        kind = item.get("kind")
        if kind not in SPECS:
            problems.append(f"{where}: unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
            continue
        assert isinstance(kind, str)
        if kind in seen:
            problems.append(f"{where}: {kind} is given twice; give each kind once")
            continue
        seen.add(kind)
        specs = {s.name: s for s in SPECS[kind]}
        params: dict[str, object] = {s.name: s.default for s in SPECS[kind]}
        for name, value in item.items():
            if name == "kind":
                continue
            spec = specs.get(str(name))
            if spec is None:
                allowed = ", ".join(specs)
                problems.append(f"{where} ({kind}): unknown parameter {name!r}; allowed: {allowed}")
                continue
            try:
                params[spec.name] = spec.coerce(value)
            except ValueError as exc:
                problems.append(
                    f"{where} ({kind}): {name}={value!r} is invalid ({exc}); "
                    f"allowed: {spec.allowed()}"
                )
        high, low = params.get("high"), params.get("low")
        if isinstance(high, float) and isinstance(low, float) and high < low:
            problems.append(f"{where} ({kind}): high ({high:g}) is below low ({low:g})")
        out.append(Criterion(kind, params))
    if problems:
        raise CriterionError(problems)
    return tuple(out)


# --- evidence ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearOutcome:
    """A school's determination in one year, as an exit review reads it.

    ``paused`` marks a year that does not count (not rated, held harmless).
    """

    label: str
    level: int | None = None
    percentile: float | None = None
    paused: bool = False


@dataclass(frozen=True)
class GoalOutcome:
    """One plan goal in the review year: its target and the value the data gives (or None)."""

    description: str
    year: int
    target: float
    actual: float | None
    lower_is_better: bool = False


@dataclass(frozen=True)
class ExitEvidence:
    """What an exit review judges, as stored for the school.

    Attributes
    ----------
    review_year : int
        The year judged (spring year); consecutive-year criteria end with it.
    outcomes : mapping of year → YearOutcome
        The designation's rule set's determination per year (published ones first).
    median_sgp : mapping of (year, subject, group) → (median or None, n)
    graduation : mapping of year → rate (%) or None
    goals : tuple of GoalOutcome
        The plan's goals with a target in the review year.
    paused_years : frozenset of int
        Years with no accountability at all (statewide); they neither count nor break a run.
    """

    review_year: int
    outcomes: Mapping[int, YearOutcome] = field(default_factory=dict)
    median_sgp: Mapping[tuple[int, str, str], tuple[float | None, int]] = field(
        default_factory=dict
    )
    graduation: Mapping[int, float | None] = field(default_factory=dict)
    goals: tuple[GoalOutcome, ...] = ()
    paused_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class EvidenceItem:
    """One value an exit criterion looked at: what, which year, the value, and its verdict."""

    what: str
    year: int | None
    value: str
    ok: bool | None


@dataclass(frozen=True)
class CriterionResult:
    """The verdict on one criterion, with its evidence."""

    criterion: Criterion
    status: str
    summary: str
    items: tuple[EvidenceItem, ...]

    @property
    def status_label(self) -> str:
        return RESULT_LABELS[self.status]


@dataclass(frozen=True)
class ExitEvaluation:
    """Every criterion's verdict.

    Attributes
    ----------
    results : tuple of CriterionResult
    all_met : bool
        Every criterion is met (and there is at least one).
    suggestion : str
        ``exit`` when all are met, ``continue`` otherwise: the reviewer decides.
    """

    review_year: int
    results: tuple[CriterionResult, ...]

    @property
    def all_met(self) -> bool:
        return bool(self.results) and all(r.status == MET for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in (MET, NOT_MET, NO_DATA)}

    @property
    def suggestion(self) -> str:
        return "exit" if self.all_met else "continue"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _verdict(items: Sequence[EvidenceItem], needed: int | None = None) -> str:
    judged = [i for i in items if i.ok is not None]
    if any(i.ok is False for i in judged):
        return NOT_MET
    if needed is not None and len(judged) < needed:
        return NO_DATA
    if any(i.ok is None for i in items) and needed is None:
        return NO_DATA
    return MET if judged else NO_DATA


def _consecutive(
    evidence: ExitEvidence,
    years: int,
    what: str,
    judge: Callable[[int], tuple[bool | None, str] | None],
) -> list[EvidenceItem]:
    """Look back from the review year for ``years`` judged years, skipping paused ones.

    ``judge(year)`` returns (verdict, shown value), ``(None, …)`` for a paused year, or None when
    the year has no value (the look-back stops there).
    """
    items: list[EvidenceItem] = []
    judged = 0
    for year in range(evidence.review_year, evidence.review_year - LOOK_BACK, -1):
        if judged >= years:
            break
        outcome = evidence.outcomes.get(year)
        if year in evidence.paused_years or (outcome is not None and outcome.paused):
            shown = outcome.label if outcome is not None else "no accountability"
            items.append(EvidenceItem(what, year, f"{shown} (paused: not counted)", None))
            continue
        found = judge(year)
        if found is None:
            items.append(EvidenceItem(what, year, "no data", None))
            break
        ok, shown = found
        items.append(EvidenceItem(what, year, shown, ok))
        if ok is None:
            break
        judged += 1
        if ok is False:
            break
    return items


def _consecutive_result(
    criterion: Criterion, items: list[EvidenceItem], years: int
) -> CriterionResult:
    judged = [i for i in items if i.ok is not None]
    status = _verdict(items, needed=years)
    if status == MET:
        summary = f"met in {_plural(len(judged), 'rated year')} in a row"
    elif status == NOT_MET:
        failed = next(i for i in judged if i.ok is False)
        summary = f"not met in {failed.year}: {failed.value}"
    else:
        summary = f"only {len(judged)} of {years} rated years with data"
    return CriterionResult(criterion, status, summary, tuple(items))


def _outcome_judge(
    evidence: ExitEvidence, test: Callable[[YearOutcome], tuple[bool | None, str]]
) -> Callable[[int], tuple[bool | None, str] | None]:
    def judge(year: int) -> tuple[bool | None, str] | None:
        outcome = evidence.outcomes.get(year)
        return None if outcome is None else test(outcome)

    return judge


def _evaluate_one(criterion: Criterion, evidence: ExitEvidence) -> CriterionResult:
    kind = criterion.kind
    if kind == "annual_goals":
        return _goals(criterion, evidence)
    if kind == "median_sgp":
        return _growth(criterion, evidence)
    years = int(criterion.num("years"))
    if kind == "level_at_most":
        top = int(criterion.num("max_level"))

        def level(o: YearOutcome) -> tuple[bool | None, str]:
            if o.level is None:
                return None, f"{o.label} (no level)"
            return o.level <= top, f"{o.label} ({'≤' if o.level <= top else '>'} Level {top})"

        items = _consecutive(evidence, years, "Level", _outcome_judge(evidence, level))
        return _consecutive_result(criterion, items, years)
    if kind in ("rating_in", "status_not"):
        labels = criterion.strs("labels")
        inside = kind == "rating_in"

        def rating(o: YearOutcome) -> tuple[bool | None, str]:
            member = o.label in labels
            return (member if inside else not member), o.label

        items = _consecutive(evidence, years, "Determination", _outcome_judge(evidence, rating))
        return _consecutive_result(criterion, items, years)
    if kind == "percentile_at_least":
        low = criterion.num("min")

        def pct(o: YearOutcome) -> tuple[bool | None, str]:
            if o.percentile is None:
                return None, f"{o.label} (no percentile)"
            sign = "≥" if o.percentile >= low else "<"
            return o.percentile >= low, f"percentile {_fmt(o.percentile)} {sign} {low:g}"

        items = _consecutive(evidence, years, "School percentile", _outcome_judge(evidence, pct))
        return _consecutive_result(criterion, items, years)
    low = criterion.num("min")

    def grad(y: int) -> tuple[bool | None, str] | None:
        rate = evidence.graduation.get(y)
        if rate is None:
            return None
        return rate >= low, f"{_fmt(rate)}% {'≥' if rate >= low else '<'} {low:g}%"

    items = _consecutive(evidence, years, "Four-year graduation rate", grad)
    return _consecutive_result(criterion, items, years)


def _goals(criterion: Criterion, evidence: ExitEvidence) -> CriterionResult:
    year = evidence.review_year
    goals = [g for g in evidence.goals if g.year == year]
    if not goals:
        return CriterionResult(criterion, NO_DATA, f"no plan goal has a target for {year}", ())
    items: list[EvidenceItem] = []
    for g in goals:
        if g.actual is None:
            items.append(
                EvidenceItem(g.description, year, f"target {_fmt(g.target)}; no value", None)
            )
            continue
        ok = g.actual <= g.target if g.lower_is_better else g.actual >= g.target
        sign = ("≤" if ok else ">") if g.lower_is_better else ("≥" if ok else "<")
        items.append(
            EvidenceItem(
                g.description, year, f"{_fmt(g.actual)} {sign} target {_fmt(g.target)}", ok
            )
        )
    met = sum(1 for i in items if i.ok is True)
    unknown = sum(1 for i in items if i.ok is None)
    share = criterion.num("min_share")
    total = len(items)
    if met >= share * total - 1e-9:
        status = MET
    elif met + unknown < share * total - 1e-9:
        status = NOT_MET
    else:
        status = NO_DATA
    summary = f"{met} of {_plural(total, 'goal')} met"
    if unknown:
        summary += f", {unknown} without a value for {year}"
    return CriterionResult(criterion, status, summary, tuple(items))


def _growth(criterion: Criterion, evidence: ExitEvidence) -> CriterionResult:
    year = evidence.review_year
    low = criterion.num("low")
    high_value = criterion.params["high"]
    high = None if high_value is None else criterion.num("high")
    min_n = int(criterion.num("min_n"))
    items: list[EvidenceItem] = []
    for subject in criterion.strs("subjects"):
        for group in criterion.strs("groups"):
            what = f"Median SGP, {subject}, {_words([group])}"
            median, n = evidence.median_sgp.get((year, subject, group), (None, 0))
            if median is None or n < min_n:
                shown = "no median SGP" if median is None else f"{_fmt(median)} from {n} students"
                if group == "all":
                    items.append(EvidenceItem(what, year, f"{shown} (needs {min_n})", None))
                else:
                    items.append(
                        EvidenceItem(what, year, f"{shown}: fewer than {min_n}, not judged", True)
                        if median is not None
                        else EvidenceItem(what, year, f"{shown}: not judged", True)
                    )
                continue
            ok = median >= low and (high is None or median <= high)
            bound = f"≥ {low:g}" if high is None else f"within {low:g}–{high:g}"
            items.append(
                EvidenceItem(
                    what,
                    year,
                    f"{_fmt(median)} (n = {n}) {'' if ok else 'not '}{bound}",
                    ok,
                )
            )
    status = _verdict(items)
    judged = [i for i in items if i.ok is not None]
    if status == MET:
        summary = f"met for all {len(judged)} subject and group combinations"
    elif status == NOT_MET:
        failed = [i.what.removeprefix("Median SGP, ") for i in items if i.ok is False]
        summary = "not met for " + "; ".join(failed)
    else:
        summary = f"no median SGP from {min_n} or more students for all students in {year}"
    return CriterionResult(criterion, status, summary, tuple(items))


def exit_evaluate(criteria: Sequence[Criterion], evidence: ExitEvidence) -> ExitEvaluation:
    """Judge each criterion against the evidence.

    Returns
    -------
    ExitEvaluation
        One :class:`CriterionResult` per criterion, in order.
    """
    return ExitEvaluation(evidence.review_year, tuple(_evaluate_one(c, evidence) for c in criteria))


#: Exit criteria a new designation starts with, per status (edited per designation).
DEFAULT_CRITERIA: Mapping[str, tuple[dict[str, object], ...]] = MappingProxyType(
    {
        "underperforming": (
            {"kind": "annual_goals"},
            {"kind": "median_sgp", "low": 40.0, "groups": ["all", "high_needs"]},
        ),
        "chronic": (
            {"kind": "annual_goals"},
            {"kind": "median_sgp", "low": 40.0, "groups": ["all", "high_needs"]},
        ),
        "csi": ({"kind": "status_not", "labels": ["CSI"], "years": 2},),
        "csi_rigorous": ({"kind": "status_not", "labels": ["CSI"], "years": 2},),
        "atsi": ({"kind": "status_not", "labels": ["CSI", "ATSI"], "years": 2},),
        "tsi": ({"kind": "status_not", "labels": ["CSI", "ATSI", "TSI"], "years": 2},),
        "focused": (
            {
                "kind": "status_not",
                "labels": ["Focused/targeted support", "Broad/comprehensive support"],
                "years": 1,
            },
        ),
        "tx_turnaround": (
            {
                "kind": "rating_in",
                "labels": ["A", "B", "C", "Met Standard", "Met Alternative Standard"],
                "years": 2,
            },
        ),
    }
)


def default_criteria(status: str) -> tuple[Criterion, ...]:
    """The criteria a new designation in ``status`` starts with (none for an unknown status)."""
    return criteria_from_data(list(DEFAULT_CRITERIA.get(status, ())))
