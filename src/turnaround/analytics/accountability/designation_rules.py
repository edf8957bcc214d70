"""What a determination means for designations: the status a rule set flags a school for, where
an unsuccessful designation escalates to, and when a school becomes eligible to exit.

Rule-set data, not Django: the identification review lists the schools whose determination is a
*candidate* for a designation status, and the designation lifecycle escalates along
:data:`ESCALATIONS` (``reference/accountability.md`` §1.8, §2.6, §4, §5).

Statuses are the codes of ``accountability.models.DesignationStatus``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

UNDERPERFORMING = "underperforming"
CHRONIC = "chronic"
CSI = "csi"
CSI_RIGOROUS = "csi_rigorous"
TSI = "tsi"
ATSI = "atsi"
FOCUSED = "focused"
TX_TURNAROUND = "tx_turnaround"

STATUSES: tuple[str, ...] = (
    UNDERPERFORMING,
    CHRONIC,
    CSI,
    CSI_RIGOROUS,
    TSI,
    ATSI,
    FOCUSED,
    TX_TURNAROUND,
)

#: A designation that does not succeed escalates to this status (a more severe one).
ESCALATIONS = MappingProxyType(
    {
        UNDERPERFORMING: CHRONIC,  # Level 4 → Level 5 receivership (M.G.L. c.69 §1K)
        CSI: CSI_RIGOROUS,  # CSI not exiting → more rigorous state action (§1111(d)(3)(A)(i))
        ATSI: CSI,  # ATSI not exiting → CSI (Title I schools)
        TSI: ATSI,
        FOCUSED: UNDERPERFORMING,
    }
)

#: Years from entering a status to the first year the school may exit it (the review year).
YEARS_TO_EXIT = MappingProxyType(
    {
        UNDERPERFORMING: 3,  # a three-year turnaround plan, then the exit review
        CHRONIC: 3,
        CSI: 3,  # ESSA: exit criteria met within a state-set number of years (≤ 4)
        CSI_RIGOROUS: 2,
        TSI: 2,
        ATSI: 3,
        FOCUSED: 1,  # recomputed every year
        TX_TURNAROUND: 2,
    }
)

#: Consecutive unacceptable Texas years that require a campus turnaround plan (unverified).
TX_TURNAROUND_YEARS = 2


@dataclass(frozen=True)
class Candidate:
    """A determination that flags a school for a designation status.

    Attributes
    ----------
    status : str
        The designation status (``DesignationStatus`` code).
    why : str
        The reason in words, for the review page.
    designated : bool
        True when the determination itself records an existing designation (an input, e.g.
        Level 4 from the Commissioner's list) rather than a new flag.
    """

    status: str
    why: str
    designated: bool = False


def designation_candidate(
    ruleset: str,
    label: str,
    level: int | None,
    years_in_status: int | None = None,
    flags: tuple[str, ...] | list[str] = (),
) -> Candidate | None:
    """The status a determination flags a school for, or None.

    Parameters
    ----------
    ruleset : str
        The rule-set id (``ma-2012``, ``ma-2018``, ``essa-csi``, ``tx-a-f``, ``ca-csi-grad``).
    label, level, years_in_status, flags
        As on the determination.
    """
    designated = "designation" in flags
    if ruleset == "ma-2012":
        if level == 5:
            return Candidate(CHRONIC, "Level 5: chronically underperforming", designated)
        if level == 4:
            return Candidate(UNDERPERFORMING, "Level 4: underperforming", designated)
        if level == 3:
            return Candidate(
                UNDERPERFORMING,
                "Level 3: eligible for a Level 4 designation among the lowest-performing schools",
            )
        return None
    if ruleset == "ma-2018":
        if label.startswith("Broad/comprehensive"):
            return Candidate(UNDERPERFORMING, "broad/comprehensive support", designated)
        if label.startswith("Focused/targeted"):
            return Candidate(FOCUSED, "focused/targeted support")
        return None
    if ruleset in ("essa-csi", "ca-csi-grad"):
        status = {"CSI": CSI, "ATSI": ATSI, "TSI": TSI}.get(label)
        return None if status is None else Candidate(status, f"identified for {label}")
    if ruleset == "tx-a-f":
        if label in ("F", "Improvement Required") and (years_in_status or 0) >= TX_TURNAROUND_YEARS:
            return Candidate(
                TX_TURNAROUND,
                f"{years_in_status} consecutive unacceptable years: campus turnaround plan",
            )
        return None
    return None


def escalation_of(status: str) -> str | None:
    """The status an unsuccessful designation escalates to, or None when there is none."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; allowed: {', '.join(STATUSES)}")
    return ESCALATIONS.get(status)


def eligible_exit_year(status: str, entered_year: int) -> int:
    """The first year a school designated in ``entered_year`` may exit ``status``."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; allowed: {', '.join(STATUSES)}")
    return entered_year + YEARS_TO_EXIT[status]
