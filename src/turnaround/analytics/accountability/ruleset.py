"""The versioned rule-set registry: ids, versions, parameters with defaults and validation.

A rule set is data (its parameters and what input layouts it reads) plus a pure function in this
package. Parameters marked *unverified* come from a secondary source
(``reference/accountability.md``); keep the default but confirm before publishing results.

Parameters are named without the rule set's prefix (``cum_ppi_target``); the prefixed form from
the reference (``ma12.cum_ppi_target``) is accepted too. Unknown names and invalid values are
refused with a :class:`RuleSetError` that names the allowed values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

Check = Callable[[object], str | None]


class RuleSetError(ValueError):
    """An unknown rule set, or parameters a rule set refuses.

    Attributes
    ----------
    problems : tuple of str
        One sentence per refused parameter (or the unknown id), each naming what is allowed.
    """

    def __init__(self, problems: tuple[str, ...] | list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


_KINDS = ("int", "float", "bool", "choice", "floats", "ints", "table")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Parameter:
    """One configurable parameter of a rule-set version.

    Attributes
    ----------
    name : str
        Name without prefix, e.g. ``"cum_ppi_target"``.
    default : object
        The value used when the caller gives none.
    description : str
        What it controls, one line.
    kind : str
        ``int``, ``float``, ``bool``, ``choice``, ``floats`` (a tuple of numbers), ``ints`` (a
        tuple of whole numbers, e.g. years) or ``table`` (a mapping of name to numbers).
    choices : tuple of str
        Allowed values for ``choice``.
    minimum, maximum : float or None
        Bounds for numbers (each element of ``floats``/``ints``), inclusive.
    length : int or None
        Required number of elements for ``floats``/``ints``.
    order : str or None
        ``"descending"`` or ``"ascending"`` (strict) for ``floats``/``ints``.
    unverified : bool
        True when the default comes from a secondary source.
    check : callable or None
        Further validation of the coerced value; returns a problem sentence or None.
    """

    name: str
    default: object
    description: str
    kind: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None
    order: str | None = None
    unverified: bool = False
    check: Check | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}; got {self.kind!r}")
        problem = self.problem(self.default)
        if problem is not None:
            raise ValueError(f"default of {self.name} is invalid: {problem}")

    def allowed(self) -> str:
        """The allowed values in words, for error messages and ``rules list``."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "table":
            return "a JSON object of name → list of numbers"
        bounds = _bounds(self.minimum, self.maximum)
        if self.kind in ("int", "float"):
            what = "a whole number" if self.kind == "int" else "a number"
            return f"{what}{bounds}"
        what = "whole numbers" if self.kind == "ints" else "numbers"
        count = f"{self.length} " if self.length is not None else ""
        order = f", {self.order}" if self.order else ""
        return f"a list of {count}{what}{bounds}{order} (e.g. {_show(self.default)})"

    def coerce(self, value: object) -> object:
        """The value converted to this parameter's type, or :class:`RuleSetError`."""
        converted = self._convert(value)
        problem = None if converted is _INVALID else self.problem(converted)
        if converted is _INVALID or problem is not None:
            detail = f" ({problem})" if problem else ""
            raise RuleSetError(
                [f"{self.name}={_show(value)} is invalid{detail}; allowed: {self.allowed()}"]
            )
        return converted

    def problem(self, value: object) -> str | None:
        """Why an already-typed value is not allowed, or None."""
        if self.kind == "choice" and value not in self.choices:
            return "not a listed choice"
        if self.kind in ("int", "float") and isinstance(value, int | float):
            return _bound_problem(float(value), self.minimum, self.maximum)
        if self.kind in ("floats", "ints") and isinstance(value, tuple):
            if self.length is not None and len(value) != self.length:
                return f"{len(value)} values given, {self.length} needed"
            if not value:
                return "no values given"
            for item in value:
                found = _bound_problem(float(item), self.minimum, self.maximum)
                if found:
                    return found
            pairs = list(zip(value, value[1:], strict=False))
            if self.order == "descending" and any(a <= b for a, b in pairs):
                return "values must be strictly descending"
            if self.order == "ascending" and any(a >= b for a, b in pairs):
                return "values must be strictly ascending"
        if self.check is not None:
            return self.check(value)
        return None

    def _convert(self, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if self.kind == "choice":
                return value
            if self.kind == "bool":
                low = value.lower()
                return True if low in _TRUE else False if low in _FALSE else _INVALID
            value = _parse_text(value, self.kind)
            if value is _INVALID:
                return _INVALID
        if self.kind == "choice":
            return value if isinstance(value, str) else _INVALID
        if self.kind == "bool":
            return value if isinstance(value, bool) else _INVALID
        if self.kind == "int":
            return _as_int(value)
        if self.kind == "float":
            return _as_float(value)
        if self.kind in ("floats", "ints"):
            if not isinstance(value, list | tuple):
                return _INVALID
            items = [_as_int(v) if self.kind == "ints" else _as_float(v) for v in value]
            return _INVALID if any(i is _INVALID for i in items) else tuple(items)
        if self.kind == "table":
            return _as_table(value)
        return _INVALID  # pragma: no cover - kinds are checked in __post_init__


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID = _Invalid()


def _parse_text(text: str, kind: str) -> object:
    if kind in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            return _INVALID
        return int(number) if kind == "int" and number.is_integer() else number
    if kind in ("floats", "ints") and not text.startswith("["):
        text = "[" + text + "]"
    try:
        parsed: object = json.loads(text)
    except json.JSONDecodeError:
        return _INVALID
    return parsed


def _as_int(value: object) -> object:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _INVALID


def _as_float(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _INVALID
    number = float(value)
    return number if math.isfinite(number) else _INVALID


def _as_table(value: object) -> object:
    if not isinstance(value, Mapping):
        return _INVALID
    table: dict[str, tuple[float, ...]] = {}
    for key, row in value.items():
        if not isinstance(key, str) or not isinstance(row, list | tuple):
            return _INVALID
        numbers = [_as_float(v) for v in row]
        if any(n is _INVALID for n in numbers):
            return _INVALID
        table[key] = tuple(float(n) for n in numbers)  # type: ignore[arg-type]
    return MappingProxyType(table)


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" ≥ {minimum:g}"
    if maximum is not None:
        return f" ≤ {maximum:g}"
    return ""


def _bound_problem(value: float, minimum: float | None, maximum: float | None) -> str | None:
    if minimum is not None and value < minimum:
        return f"{value:g} is below {minimum:g}"
    if maximum is not None and value > maximum:
        return f"{value:g} is above {maximum:g}"
    return None


def _show(value: object) -> str:
    if isinstance(value, tuple | list):
        return ",".join(_show(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps({k: list(v) for k, v in value.items()})
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Params(Mapping[str, object]):
    """The validated parameters of one evaluation, with typed getters."""

    def __init__(self, ruleset: str, values: Mapping[str, object]) -> None:
        self.ruleset = ruleset
        self._values = dict(values)

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self.ruleset!r}, {self._values!r})"

    def get_float(self, name: str) -> float:
        value = self._values[name]
        assert isinstance(value, int | float)
        return float(value)

    def get_int(self, name: str) -> int:
        value = self._values[name]
        assert isinstance(value, int) and not isinstance(value, bool)
        return value

    def get_bool(self, name: str) -> bool:
        value = self._values[name]
        assert isinstance(value, bool)
        return value

    def get_str(self, name: str) -> str:
        value = self._values[name]
        assert isinstance(value, str)
        return value

    def get_floats(self, name: str) -> tuple[float, ...]:
        value = self._values[name]
        assert isinstance(value, tuple)
        return tuple(float(v) for v in value)

    def get_ints(self, name: str) -> tuple[int, ...]:
        value = self._values[name]
        assert isinstance(value, tuple)
        return tuple(int(v) for v in value)

    def get_table(self, name: str) -> Mapping[str, tuple[float, ...]]:
        value = self._values[name]
        assert isinstance(value, Mapping)
        return value


@dataclass(frozen=True)
class RuleSet:
    """A versioned rule set: what it computes, its parameters and the layouts it reads.

    Attributes
    ----------
    id : str
        E.g. ``"ma-2012"``.
    version : str
        Dotted whole numbers, e.g. ``"1"``; a change of any rule or default is a new version.
    title : str
        One line for ``rules list``.
    prefix : str
        The reference's parameter prefix (``ma12``), accepted before a parameter name.
    parameters : tuple of Parameter
    layouts : tuple of str
        Input layouts the rule set reads (see ``files.LAYOUTS``).
    counts_years : bool
        True when determinations carry ``years_in_status``.
    """

    id: str
    version: str
    title: str
    prefix: str
    parameters: tuple[Parameter, ...]
    layouts: tuple[str, ...]
    counts_years: bool = False

    def parameter(self, name: str) -> Parameter:
        """The parameter of that name (prefixed or not), or :class:`RuleSetError`."""
        bare = name.removeprefix(self.prefix + ".")
        for parameter in self.parameters:
            if parameter.name == bare:
                return parameter
        allowed = ", ".join(p.name for p in self.parameters)
        raise RuleSetError([f"{self.id} has no parameter {name!r}; allowed: {allowed}"])

    def configure(self, **params: object) -> Params:
        """Defaults overridden by ``params``, every value validated.

        Raises
        ------
        RuleSetError
            Listing every unknown or invalid parameter with the allowed names or values.
        """
        values: dict[str, object] = {p.name: p.default for p in self.parameters}
        problems: list[str] = []
        for name, value in params.items():
            try:
                parameter = self.parameter(name)
                values[parameter.name] = parameter.coerce(value)
            except RuleSetError as exc:
                problems.extend(exc.problems)
        if problems:
            raise RuleSetError(problems)
        return Params(self.id, values)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


# --- parameter checks ------------------------------------------------------------------------


def _sums_to(total: float) -> Check:
    def check(value: object) -> str | None:
        assert isinstance(value, tuple)
        found = sum(float(v) for v in value)
        return None if math.isclose(found, total, abs_tol=1e-9) else f"values sum to {found:g}"

    return check


#: Category order of the MA 2018 weight rows.
MA18_CATEGORIES: tuple[str, ...] = ("achievement", "growth", "completion", "el", "additional")
MA18_WEIGHT_ROWS: tuple[str, ...] = ("all_nonhs_el", "all_nonhs", "all_hs_el", "all_hs", "lowest")


def _ma18_weights_check(value: object) -> str | None:
    assert isinstance(value, Mapping)
    if set(value) != set(MA18_WEIGHT_ROWS):
        return "rows must be exactly " + ", ".join(MA18_WEIGHT_ROWS)
    for key, row in value.items():
        if len(row) != len(MA18_CATEGORIES):
            return f"row {key} needs {len(MA18_CATEGORIES)} weights ({', '.join(MA18_CATEGORIES)})"
        if any(w < 0 for w in row) or not math.isclose(sum(row), 100.0, abs_tol=1e-9):
            return f"row {key} must be non-negative weights summing to 100"
    return None


MA18_DEFAULT_WEIGHTS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "all_nonhs_el": (60.0, 20.0, 0.0, 10.0, 10.0),
        "all_nonhs": (67.5, 22.5, 0.0, 0.0, 10.0),
        "all_hs_el": (40.0, 20.0, 20.0, 10.0, 10.0),
        "all_hs": (47.5, 22.5, 20.0, 0.0, 10.0),
        "lowest": (67.5, 22.5, 0.0, 0.0, 10.0),
    }
)

_PERCENTILE_METHODS = ("ceil", "midpoint")

# --- the registered rule sets -----------------------------------------------------------------

MA_2012 = RuleSet(
    id="ma-2012",
    version="1",
    title="Massachusetts 2012–2016 accountability levels (CPI, PPI, percentiles, Levels 1–3)",
    prefix="ma12",
    layouts=("ma-profiles-2017", "ma12"),
    parameters=(
        Parameter("cum_ppi_target", 75.0, "Level 1 needs cumulative PPI ≥ this", "float", (), 0),
        Parameter(
            "cum_ppi_year_weights",
            (1.0, 2.0, 3.0, 4.0),
            "weights of the four annual PPIs, oldest first",
            "floats",
            minimum=0.0,
            length=4,
        ),
        Parameter(
            "cap_cum_ppi", True, "cap computed cumulative PPIs at 100", "bool", unverified=True
        ),
        Parameter(
            "partial_history",
            "reweight",
            "fewer than four annual PPIs: reweight the years available, or insufficient data",
            "choice",
            ("reweight", "insufficient"),
            unverified=True,
        ),
        Parameter("l3_percentile", 20, "Level 3 at school percentile ≤ this", "int", (), 1, 99),
        Parameter(
            "participation_l3", 90.0, "Level 3 below this participation (%)", "float", (), 0, 100
        ),
        Parameter(
            "participation_l2", 95.0, "Level 2 below this participation (%)", "float", (), 0, 100
        ),
        Parameter("grad_4yr", 67.0, "persistently low: 4-year rate below (%)", "float", (), 0, 100),
        Parameter("grad_5yr", 70.0, "… and three 5-year rates below (%)", "float", (), 0, 100),
        Parameter(
            "min_n_school",
            20,
            "students a school needs for an all-students PPI",
            "int",
            (),
            1,
            unverified=True,
        ),
        Parameter(
            "min_n_subgroup",
            30,
            "students the high-needs group needs to count for Level 1",
            "int",
            (),
            1,
            unverified=True,
        ),
        Parameter("insufficient_n", 10, "fewer students (n_all) → Insufficient data", "int", (), 1),
        Parameter(
            "min_n_sgp",
            20,
            "students a median SGP needs to count as a growth indicator",
            "int",
            (),
            1,
        ),
        Parameter(
            "sgp_points_cuts",
            (30.0, 40.0, 51.0, 60.0),
            "median SGP lower bounds of the 25-, 50-, 75- and 100-point growth bands",
            "floats",
            minimum=1.0,
            maximum=99.0,
            length=4,
            order="ascending",
            unverified=True,
        ),
        Parameter(
            "percentile_method",
            "ceil",
            "ceil: ceil(100·rank/N); midpoint: round(100·(rank−½)/N); ties share the mean rank",
            "choice",
            _PERCENTILE_METHODS,
            unverified=True,
        ),
        Parameter(
            "held_harmless_years",
            (2015, 2016, 2017),
            "years in which a held-harmless school's level cannot fall",
            "ints",
            minimum=2000,
            maximum=2100,
            order="ascending",
            unverified=True,
        ),
    ),
)

MA_2018 = RuleSet(
    id="ma-2018",
    version="1",
    title="Massachusetts 2018+ criterion-referenced target percentage, percentile, support",
    prefix="ma18",
    layouts=("ma18",),
    parameters=(
        Parameter(
            "weights",
            MA18_DEFAULT_WEIGHTS,
            "category weights (achievement, growth, completion, el, additional) per row",
            "table",
            check=_ma18_weights_check,
        ),
        Parameter(
            "cum_weights",
            (0.4, 0.6),
            "prior and current year weights of the cumulative percentage",
            "floats",
            minimum=0.0,
            length=2,
            check=_sums_to(1.0),
        ),
        Parameter(
            "progress_cuts",
            (75.0, 50.0, 25.0),
            "meeting / substantial / moderate progress cuts (%)",
            "floats",
            minimum=0.0,
            maximum=100.0,
            length=3,
            order="descending",
            unverified=True,
        ),
        Parameter(
            "lowest_share",
            0.5,
            "weight of the lowest-performing group in a span's percentage",
            "float",
            (),
            0,
            1,
            unverified=True,
        ),
        Parameter("ft_percentile", 10, "focused/targeted at percentile ≤ this", "int", (), 1, 99),
        Parameter("group_pctl", 5, "… or a student-group percentile ≤ this", "int", (), 1, 99),
        Parameter("grad", 66.7, "… or a 4-year graduation rate below (%)", "float", (), 0, 100),
        Parameter("participation", 95.0, "… or participation below (%)", "float", (), 0, 100),
        Parameter(
            "percentile_year_weights",
            (15.0, 25.0, 60.0),
            "weights of up to three annual percentages, oldest first, for the percentile",
            "floats",
            minimum=0.0,
            length=3,
            unverified=True,
        ),
        Parameter(
            "percentile_method",
            "ceil",
            "ceil: ceil(100·rank/N); midpoint: round(100·(rank−½)/N); ties share the mean rank",
            "choice",
            _PERCENTILE_METHODS,
            unverified=True,
        ),
    ),
)

ESSA_CSI = RuleSet(
    id="essa-csi",
    version="1",
    title="Federal ESSA: CSI (lowest 5% of Title I, graduation, ATSI not exiting), TSI, ATSI",
    prefix="essa",
    layouts=("essa",),
    counts_years=True,
    parameters=(
        Parameter("csi_pct", 0.05, "share of Title I schools identified", "float", (), 0.0, 1.0),
        Parameter(
            "index_direction",
            "higher_is_better",
            "which end of the summative index is low performance",
            "choice",
            ("higher_is_better", "lower_is_better"),
        ),
        Parameter(
            "ties",
            "include",
            "schools tied at the cut: all identified, or none",
            "choice",
            ("include", "exclude"),
        ),
        Parameter(
            "pooling",
            "statewide",
            "rank all Title I schools together, or within the input's pool column",
            "choice",
            ("statewide", "by_pool"),
        ),
        Parameter("grad_threshold", 67.0, "graduation rate cut (%)", "float", (), 0, 100),
        Parameter(
            "grad_comparator",
            "<=",
            "a rate identifies when it is < or ≤ the cut",
            "choice",
            ("<", "<="),
        ),
        Parameter("grad_min_cohort", 20, "smallest cohort judged on graduation", "int", (), 1),
        Parameter("min_n", 20, "smallest group ranked or screened", "int", (), 1),
        Parameter(
            "atsi_years_to_csi",
            4,
            "a Title I school still ATSI after this many years becomes CSI",
            "int",
            (),
            1,
            10,
            unverified=True,
        ),
        Parameter(
            "atsi_screen",
            "all",
            "screen every school's groups for ATSI, or only TSI schools",
            "choice",
            ("all", "tsi"),
        ),
        Parameter(
            "tsi_years",
            3,
            "consecutive years a group must be flagged underperforming for TSI",
            "int",
            (),
            1,
            10,
        ),
    ),
)

TX_A_F = RuleSet(
    id="tx-a-f",
    version="1",
    title="Texas campus ratings (2018 Met Standard / IR, 2019+ A–F) and unacceptable years",
    prefix="tx",
    layouts=("tx-camprate", "tx"),
    counts_years=True,
    parameters=(
        Parameter(
            "cuts",
            (90.0, 80.0, 70.0, 60.0),
            "lowest scores of A, B, C, D; below the last is F (IR before letter grades)",
            "floats",
            minimum=0.0,
            maximum=100.0,
            length=4,
            order="descending",
        ),
        Parameter(
            "first_letter_year",
            2019,
            "first year rated A–F (earlier years: Met Standard / Improvement Required)",
            "int",
            (),
            2000,
            2100,
        ),
        Parameter(
            "d_continues_chain_if_prior_unacceptable",
            False,
            "a D after an unacceptable year counts as unacceptable",
            "bool",
            unverified=True,
        ),
        Parameter(
            "not_rated_pauses_chain",
            True,
            "a Not Rated year neither counts nor resets (else it resets)",
            "bool",
        ),
        Parameter(
            "data_integrity",
            "pause",
            "a Data Integrity Issues year pauses or resets the count",
            "choice",
            ("pause", "reset"),
            unverified=True,
        ),
        Parameter(
            "covid_years_not_rated",
            (2020, 2021),
            "years nobody was rated (paused)",
            "ints",
            minimum=2000,
            maximum=2100,
            order="ascending",
            unverified=True,
        ),
        Parameter(
            "seed_first_year",
            True,
            "start from the first input year's published count (C_YRS_IR)",
            "bool",
        ),
    ),
)

CA_CSI_GRAD = RuleSet(
    id="ca-csi-grad",
    version="1",
    title="California 2018 CSI for low graduation (pooled two-year rate, all high schools)",
    prefix="ca",
    layouts=("ca-dashboard-grad",),
    parameters=(
        Parameter("grad_threshold", 67.0, "pooled rate cut (%)", "float", (), 0, 100),
        Parameter("grad_comparator", "<", "identify when < or ≤ the cut", "choice", ("<", "<=")),
        Parameter("min_cohort_each_year", 30, "smallest cohort in each pooled year", "int", (), 1),
        Parameter("grad_years_pooled", 2, "years pooled", "int", (), 1, 2),
        Parameter(
            "prior_source",
            "same_file",
            "prior year's counts: as restated in the year's file, or the previous input file",
            "choice",
            ("same_file", "previous_input"),
        ),
        Parameter(
            "dass",
            "not_evaluated",
            "schools with Dashboard Alternative School Status: not evaluated (their rate is "
            "not reconstructed), or judged on the standard rate",
            "choice",
            ("not_evaluated", "standard"),
        ),
    ),
)

_REGISTRY: dict[str, dict[str, RuleSet]] = {}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def ruleset_register(ruleset: RuleSet) -> None:
    """Add a rule-set version to the registry (refused when that id and version exist)."""
    _version_key(ruleset.version)  # dotted whole numbers only
    versions = _REGISTRY.setdefault(ruleset.id, {})
    if ruleset.version in versions:
        raise ValueError(f"{ruleset.key} is already registered")
    versions[ruleset.version] = ruleset


def ruleset_get(ruleset_id: str) -> RuleSet:
    """A registered rule set by id (latest version) or ``id@version``.

    Raises
    ------
    RuleSetError
        Naming the registered ids (or versions).
    """
    name, _, version = ruleset_id.partition("@")
    versions = _REGISTRY.get(name)
    if versions is None:
        allowed = ", ".join(sorted(_REGISTRY))
        raise RuleSetError([f"unknown rule set {ruleset_id!r}; allowed: {allowed}"])
    if not version:
        return versions[max(versions, key=_version_key)]
    if version not in versions:
        allowed = ", ".join(f"{name}@{v}" for v in sorted(versions, key=_version_key))
        raise RuleSetError([f"unknown version {ruleset_id!r}; allowed: {allowed}"])
    return versions[version]


def ruleset_list() -> tuple[RuleSet, ...]:
    """Every registered rule-set version, by id then version."""
    return tuple(
        rs
        for name in sorted(_REGISTRY)
        for rs in sorted(_REGISTRY[name].values(), key=lambda r: _version_key(r.version))
    )


for _ruleset in (MA_2012, MA_2018, ESSA_CSI, TX_A_F, CA_CSI_GRAD):
    ruleset_register(_ruleset)
