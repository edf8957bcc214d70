"""``turnaround partners impact --state MA [--partner NAME] [--area AREA]``.

Computes and stores the impact estimates of every partner with engagements in the state (or one
partner, or one need area) and prints them as a table: partner, area, outcome, the estimate with
its 95% interval, the number of engaged / comparison schools and the pre-trend test p-value — or
the reason there is no estimate. A progress line per partner goes to standard error.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError

from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.models import Engagement
from turnaround.partners.needs import NeedArea, area_label
from turnaround.partners.services.impact import (
    OUTCOMES,
    EstimateView,
    impact_compute_state,
    outcome_label,
)

HEADER = (
    "Partner",
    "Area",
    "Outcome",
    "Estimate [95% CI]",
    "n (engaged/comparison)",
    "Pre-trend p",
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "impact",
        help="estimate partners' impact in a state and print the estimates",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--state", required=True, help="state code, e.g. MA")
    parser.add_argument(
        "--partner", default=None, metavar="NAME", help="only this partner (its exact name)"
    )
    parser.add_argument(
        "--area",
        default=None,
        metavar="AREA",
        help=f"only this need area ({', '.join(NeedArea.values)})",
    )
    parser.set_defaults(func=run)


def _row(v: EstimateView, partner_name: str) -> tuple[str, ...]:
    area = v.area_label
    if v.is_refused:
        return (partner_name, area, outcome_label(v.obj.outcome), f"no estimate: {v.obj.refusal}")
    pre = "—" if v.obj.pretrend_p_value is None else f"{v.obj.pretrend_p_value:.2f}"
    return (
        partner_name,
        area,
        outcome_label(v.obj.outcome),
        f"{v.estimate_text} [{v.ci_text}]",
        f"{v.obj.n_treated}/{v.obj.n_comparison}",
        pre,
    )


def run(options: dict[str, Any], stdout: Any, stderr: Any) -> int:
    code = (options.get("state") or "").strip().upper()
    state = State.objects.filter(code=code).first()
    if state is None:
        known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
        stderr.write(f"No state with the code {code!r}; known states: {known or 'none'}.\n")
        return 2
    area = options.get("area") or None
    if area is not None and area not in NeedArea.values:
        stderr.write(f"{area!r} is not a need area; choose one of {', '.join(NeedArea.values)}.\n")
        return 2
    partners = None
    if options.get("partner"):
        name = options["partner"].strip()
        partner = PartnerOrganization.objects.filter(name__iexact=name).first()
        if partner is None:
            engaged = (
                PartnerOrganization.objects.filter(
                    pk__in=Engagement.objects.filter(school__district__state=state).values(
                        "partner_id"
                    )
                )
                .order_by("name")
                .values_list("name", flat=True)
            )
            stderr.write(
                f"No partner named {name!r}. Partners with engagements in {state.code}: "
                f"{'; '.join(engaged) or 'none'}.\n"
            )
            return 2
        partners = [partner]

    started = time.perf_counter()

    def progress(label: str, done: int, total: int) -> None:
        if label == "done":
            stderr.write(f"Computed {total} partner(s) in {time.perf_counter() - started:.1f} s.\n")
        else:
            stderr.write(f"[{done + 1}/{total}] {label} …\n")
        if hasattr(stderr, "flush"):
            stderr.flush()

    try:
        stored = impact_compute_state(
            state=state, actor=None, progress=progress, partners=partners, need_area=area
        )
    except ValidationError as exc:
        stderr.write(" ".join(exc.messages) + "\n")
        return 2
    if not stored:
        stdout.write(f"No partner has engagements in {state.name}: nothing to estimate.\n")
        return 0
    names = dict(
        PartnerOrganization.objects.filter(pk__in={r.partner_id for r in stored}).values_list(
            "pk", "name"
        )
    )
    order = {o: i for i, o in enumerate(OUTCOMES)}
    stored.sort(key=lambda r: (names[r.partner_id], r.need_area, order.get(r.outcome, 99)))
    rows: list[tuple[str, ...]] = [HEADER]
    rows += [_row(EstimateView(r, state.code, state.name), names[r.partner_id]) for r in stored]
    for line in _table_with_refusals(rows):
        stdout.write(line + "\n")
    estimated = sum(1 for r in stored if r.estimate is not None)
    areas = f", {area_label(area).lower()}" if area else ""
    stdout.write(
        f"\n{len(stored)} estimate(s) stored for {state.name}{areas}: {estimated} estimated, "
        f"{len(stored) - estimated} refused. Intervals are 95%; units: CPI points (achievement), "
        "SGP points (growth), percentage points (attendance, chronic absence).\n"
    )
    return 0


def _table_with_refusals(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows padded as a table; a refusal row's reason runs on from the estimate column."""
    widths = [
        max((len(r[i]) for r in rows if i < len(r) - 1), default=0) for i in range(len(HEADER))
    ]
    return [
        "  ".join([*(c.ljust(widths[i]) for i, c in enumerate(r[:-1])), r[-1]]).rstrip()
        for r in rows
    ]
