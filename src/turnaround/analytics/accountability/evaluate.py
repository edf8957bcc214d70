"""Apply a registered rule set to input files or frames: the analysts' entry point.

Example (not run)::

    determinations = evaluate("tx-a-f", ["CAMPRATE_2018.csv", "CAMPRATE_2019.csv"])
    determinations_frame(determinations).to_csv("out.csv", index=False)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import pandas as pd

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.essa import (
    ca_csi_grad_determinations,
    essa_determinations,
)
from turnaround.analytics.accountability.files import (
    InputIssue,
    RuleInputError,
    Source,
    read_input,
)
from turnaround.analytics.accountability.ma2012 import ma12_determinations
from turnaround.analytics.accountability.ma2018 import ma18_determinations
from turnaround.analytics.accountability.ruleset import Params, ruleset_get
from turnaround.analytics.accountability.texas import tx_determinations

Rule = Callable[[list[pd.DataFrame], Params], tuple[Determination, ...]]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "ma-2012": lambda frames, p: ma12_determinations(_concat(frames), p),
        "ma-2018": lambda frames, p: ma18_determinations(_concat(frames), p),
        "essa-csi": lambda frames, p: essa_determinations(_concat(frames), p),
        "tx-a-f": lambda frames, p: tx_determinations(_concat(frames), p),
        "ca-csi-grad": ca_csi_grad_determinations,
    }
)

#: The output columns every rule set writes, in order.
COLUMNS: tuple[str, ...] = (
    "school_id",
    "year",
    "determination",
    "level",
    "reasons",
    "years_in_status",
    "ruleset",
    "version",
    "flags",
)


def evaluate(
    ruleset_id: str, inputs: Sequence[Source], **params: object
) -> tuple[Determination, ...]:
    """Determinations of a rule set for every school and year of the inputs.

    Parameters
    ----------
    ruleset_id : str
        A registered id (``ma-2012``, ``ma-2018``, ``essa-csi``, ``tx-a-f``, ``ca-csi-grad``),
        optionally ``id@version``.
    inputs : sequence of path or DataFrame
        One input per year, oldest first, each in a layout the rule set reads (detected from
        its columns). A DataFrame in a real file's layout takes its year from
        ``frame.attrs["year"]`` where the file name would give it.
    **params
        Rule-set parameters (see ``ruleset_get(id).parameters``).

    Returns
    -------
    tuple of Determination
        Sorted by year, then school id.

    Raises
    ------
    RuleSetError
        Unknown rule set or invalid/unknown parameters (naming the allowed values).
    RuleInputError
        Any problem in any input (all inputs are checked first; nothing is produced).
    """
    ruleset = ruleset_get(ruleset_id)
    config = ruleset.configure(**params)
    if isinstance(inputs, str | os.PathLike | pd.DataFrame):
        raise TypeError("inputs must be a sequence of paths or frames, oldest year first")
    if not inputs:
        raise RuleInputError("inputs", [InputIssue(None, None, None, "no input given")])
    frames: list[pd.DataFrame] = []
    names: list[str] = []
    errors: list[RuleInputError] = []
    for source in inputs:
        name = _name(source)
        try:
            _, frame = read_input(source, ruleset.layouts)
        except RuleInputError as exc:
            errors.append(exc)
            continue
        frames.append(frame)
        names.append(name)
    if errors:
        raise RuleInputError.merge(errors)
    _check_order(frames, names)
    return RULES[ruleset.id](frames, config)


def _name(source: Source) -> str:
    if isinstance(source, pd.DataFrame):
        return str(source.attrs.get("source", "<DataFrame>"))
    return os.path.basename(os.fspath(source))


def _check_order(frames: list[pd.DataFrame], names: list[str]) -> None:
    previous: tuple[str, int] | None = None
    for frame, name in zip(frames, names, strict=True):
        low, high = int(frame["year"].min()), int(frame["year"].max())
        if previous is not None and low <= previous[1]:
            reason = (
                f"inputs must be one year each, oldest first: {name} has {low} but "
                f"{previous[0]} before it already has {previous[1]}"
            )
            raise RuleInputError(name, [InputIssue(None, "year", str(low), reason)])
        previous = (name, high)


def determinations_frame(determinations: Sequence[Determination]) -> pd.DataFrame:
    """One row per school and year: the contract columns, then every value the rules used.

    Columns: ``school_id`` (text, leading zeros kept), ``year``, ``determination``, ``level``,
    ``reasons`` (``"; "``-separated), ``years_in_status``, ``ruleset``, ``version``, ``flags``,
    then the determinations' values (e.g. ``cum_ppi_all``, ``score``).
    """
    value_names: dict[str, None] = {}
    for det in determinations:
        value_names.update(dict.fromkeys(det.values))
    data: dict[str, list[object]] = {
        "school_id": [d.school_id for d in determinations],
        "year": [d.year for d in determinations],
        "determination": [d.label for d in determinations],
        "level": [d.level for d in determinations],
        "reasons": ["; ".join(d.reasons) for d in determinations],
        "years_in_status": [d.years_in_status for d in determinations],
        "ruleset": [d.ruleset for d in determinations],
        "version": [d.ruleset_version for d in determinations],
        "flags": ["; ".join(d.flags) for d in determinations],
    }
    for name in value_names:
        if name in data:
            continue
        data[name] = [d.values.get(name) for d in determinations]
    frame = pd.DataFrame(data)
    frame["school_id"] = frame["school_id"].astype(str)
    frame["year"] = frame["year"].astype("int64")
    frame["level"] = frame["level"].astype("Int64")
    frame["years_in_status"] = frame["years_in_status"].astype("Int64")
    for name in value_names:
        if name not in COLUMNS:
            frame[name] = frame[name].astype("float64")
    return frame
