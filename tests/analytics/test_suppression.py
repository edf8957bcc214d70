"""Suppression checked against brute-force recovery: no hidden cell can be solved for."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from turnaround.analytics.suppression import code_extreme, suppress


def test_primary_hides_small_groups_and_unknown_n() -> None:
    result = suppress([120, 9, 10, None], reporting_min_n=10)
    assert result.hidden.tolist() == [False, True, False, True]
    assert result.complementary.tolist() == [False, False, False, False]


def test_single_hidden_partition_member_gets_a_complement() -> None:
    # all students (no partition) then four race groups partitioning it
    n = [100, 60, 25, 11, 4]
    part = [None, "race", "race", "race", "race"]
    result = suppress(n, reporting_min_n=10, partition=part)
    assert result.primary.tolist() == [False, False, False, False, True]
    # the smallest visible sibling (11) is hidden too
    assert result.hidden.tolist() == [False, False, False, True, True]
    assert result.complementary.tolist() == [False, False, False, True, False]


def test_two_hidden_members_need_no_complement() -> None:
    result = suppress([100, 80, 5, 6], reporting_min_n=10, partition=[None, "r", "r", "r"])
    assert result.hidden.tolist() == [False, False, True, True]


def _recoverable(total: int, counts: list[int], hidden: list[bool]) -> bool:
    """Brute force: a hidden member is recoverable when it is the only unknown in the sum."""
    return sum(hidden) == 1


@pytest.mark.parametrize("seed", range(50))
def test_random_partitions_never_leave_one_recoverable_member(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    counts = [int(c) for c in rng.integers(1, 40, size=k)]
    total = sum(counts)
    result = suppress([total, *counts], reporting_min_n=10, partition=[None] + ["p"] * k)
    member_hidden = result.hidden[1:].tolist()
    assert not _recoverable(total, counts, member_hidden)
    # every primary cell stays hidden; no visible member is below the threshold
    for c, h in zip(counts, member_hidden, strict=True):
        if c < 10:
            assert h


def test_brute_force_enumeration_small_tables() -> None:
    for counts in itertools.product([3, 12, 30], repeat=3):
        result = suppress(list(counts), reporting_min_n=10, partition=["p"] * 3)
        assert int(result.hidden.sum()) != 1


def test_code_extreme_bands_by_group_size() -> None:
    assert code_extreme(0.5, 400) == "≤1%"
    assert code_extreme(99.5, 400) == "≥99%"
    assert code_extreme(3.0, 50) == "≤5%"
    assert code_extreme(50.0, 50) is None
    assert code_extreme(96.0, 20) == "≥90%"
    assert code_extreme(None, 20) is None


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="reporting_min_n"):
        suppress([1], reporting_min_n=0)
    with pytest.raises(ValueError, match="between 0 and 100"):
        code_extreme(120.0, 50)
