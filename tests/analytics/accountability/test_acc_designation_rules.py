"""Which determinations flag a school for which designation, escalation and exit eligibility."""

from __future__ import annotations

import pytest

from turnaround.analytics.accountability.designation_rules import (
    designation_candidate,
    eligible_exit_year,
    escalation_of,
)


@pytest.mark.parametrize(
    ("args", "status", "designated"),
    [
        (("ma-2012", "Level 3", 3), "underperforming", False),
        (("ma-2012", "Level 4", 4, None, ("designation",)), "underperforming", True),
        (("ma-2012", "Level 5", 5, None, ("designation",)), "chronic", True),
        (("ma-2012", "Level 2", 2), None, False),
        (("ma-2018", "Focused/targeted support", None), "focused", False),
        (
            ("ma-2018", "Broad/comprehensive support", None, None, ("designation",)),
            "underperforming",
            True,
        ),
        (("essa-csi", "CSI", None), "csi", False),
        (("essa-csi", "ATSI", None), "atsi", False),
        (("essa-csi", "Not identified", None), None, False),
        (("ca-csi-grad", "CSI", None), "csi", False),
        (("tx-a-f", "F", None, 2), "tx_turnaround", False),
        (("tx-a-f", "Improvement Required", None, 3), "tx_turnaround", False),
        (("tx-a-f", "F", None, 1), None, False),
        (("tx-a-f", "D", None, None), None, False),
        (("xx", "CSI", None), None, False),
    ],
)
def test_candidates(args, status, designated) -> None:
    found = designation_candidate(*args)
    assert (found.status if found else None) == status
    if found:
        assert found.designated is designated and found.why


def test_escalations_and_exit_years() -> None:
    assert escalation_of("underperforming") == "chronic"
    assert escalation_of("csi") == "csi_rigorous"
    assert escalation_of("atsi") == "csi"
    assert escalation_of("tx_turnaround") is None
    assert eligible_exit_year("underperforming", 2014) == 2017
    with pytest.raises(ValueError, match="allowed: underperforming"):
        escalation_of("purple")
    with pytest.raises(ValueError, match="unknown status"):
        eligible_exit_year("purple", 2014)
