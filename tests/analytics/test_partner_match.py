"""The partner ranking against rankings and scores computed by hand (see each test's comment)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from turnaround.analytics.partner_match import (
    AreaOffer,
    Candidate,
    ComponentWeights,
    Impact,
    MatchInputError,
    Need,
    format_day,
    impact_class,
    rank_partners,
)

LABELS = {
    "climate_culture": "Climate and culture",
    "instruction": "Instruction",
    "sel_health": "Social-emotional and health needs",
    "family_engagement": "Family engagement",
}
EXPIRES = dt.date(2027, 6, 30)

# The school's needs: climate and culture 2 + 1 = 3, instruction 2, SEL 1; total 6.
NEEDS = (
    Need("climate_culture", 2.0, "Site visit", "Rated 'Developing' on TP4.1"),
    Need("instruction", 2.0, "Performance data", "Median SGP 34 in mathematics"),
    Need("climate_culture", 1.0, "Site visit", "Rated 'Developing' on TP4.2"),
    Need("sel_health", 1.0, "Performance data", "Chronic absence 24%"),
)
UP_SIG = Impact("attendance", 1.8, 0.4, 3.2, 14)
UP = Impact("attendance", 0.6, -0.5, 1.7, 9)
DOWN_SIG = Impact("attendance", -1.5, -2.5, -0.5, 12)


def _alpha() -> Candidate:
    # climate 3: tier 2 → 0.75, impact 1, band 1; instruction 2: tier 4 → 0.25, none → 0.5,
    # bands unstated → 0.5.  fit 5/6; evidence (3·0.75 + 2·0.25)/5 = 0.55; impact (3 + 1)/5 = 0.8;
    # band (3 + 1)/5 = 0.8.  score 0.4·5/6 + 0.25·0.55 + 0.25·0.8 + 0.1·0.8 = 0.750833…
    return Candidate(
        1,
        "Alpha Partners",
        (
            AreaOffer("climate_culture", ("elementary",), True, EXPIRES, 2, "QED", (UP_SIG,)),
            AreaOffer("instruction", (), True, EXPIRES, 4),
        ),
    )


def _beta() -> Candidate:
    # instruction 2: tier 1 → 1, impact 0.75, band 1; SEL 1: tier 3 → 0.5, none 0.5, band 0.
    # fit 3/6; evidence 2.5/3; impact 2/3; band 2/3.
    # score 0.2 + 0.25·2.5/3 + 0.25·2/3 + 0.1·2/3 = 0.641666…
    return Candidate(
        2,
        "beta learning",
        (
            AreaOffer("instruction", ("elementary", "middle"), True, EXPIRES, 1, "RCT", (UP,)),
            AreaOffer("sel_health", ("middle",), True, EXPIRES, 3),
        ),
    )


def _charlie() -> Candidate:
    # climate 3: tier 1, a significant unfavourable effect, bands unstated.
    # fit 0.5, evidence 1, impact 0, band 0.5; score 0.2 + 0.25 + 0 + 0.05 = 0.5, flagged.
    return Candidate(
        3, "Charlie Co", (AreaOffer("climate_culture", (), True, EXPIRES, 1, "", (DOWN_SIG,)),)
    )


def _delta() -> Candidate:
    # not designated anywhere; offers climate (tier 1, no impact, elementary):
    # fit 0.5, evidence 1, impact 0.5, band 1; score 0.2 + 0.25 + 0.125 + 0.1 = 0.675.
    return Candidate(
        4, "Delta Group", (AreaOffer("climate_culture", ("elementary",), False, None, 1),)
    )


def _echo() -> Candidate:
    # designated only for family engagement, which the school does not need: never suggested.
    return Candidate(5, "Echo", (AreaOffer("family_engagement", (), True, EXPIRES, 1),))


CANDIDATES = (_echo(), _charlie(), _delta(), _beta(), _alpha())


def _rank(**kwargs):
    return rank_partners(
        NEEDS, CANDIDATES, school_grade_bands=("elementary",), area_labels=LABELS, **kwargs
    )


def test_default_ranking_and_scores_by_hand():
    result = _rank()
    assert [(s.rank, s.name) for s in result.suggestions] == [
        (1, "Alpha Partners"),
        (2, "beta learning"),
        (3, "Charlie Co"),
    ]
    alpha, beta, charlie = result.suggestions
    assert alpha.components.fit == pytest.approx(5 / 6)
    assert alpha.components.evidence == pytest.approx(0.55)
    assert alpha.components.impact == pytest.approx(0.8)
    assert alpha.components.grade_band == pytest.approx(0.8)
    assert alpha.score == pytest.approx(0.4 * 5 / 6 + 0.25 * 0.55 + 0.25 * 0.8 + 0.1 * 0.8)
    assert beta.score == pytest.approx(0.2 + 0.25 * 2.5 / 3 + 0.25 * 2 / 3 + 0.1 * 2 / 3)
    assert beta.components.as_dict() == pytest.approx(
        {"fit": 0.5, "evidence": 2.5 / 3, "impact": 2 / 3, "grade_band": 2 / 3}
    )
    # Charlie's score (0.5) is above nothing here, but a significant unfavourable effect ranks
    # it last whatever its score: flagged, never hidden.
    assert charlie.score == pytest.approx(0.5)
    assert charlie.flagged and not alpha.flagged and not beta.flagged
    assert charlie.impact_classes == {"climate_culture": "negative_significant"}
    assert any(r.startswith("Caution: a significant unfavourable") for r in charlie.reasons)
    assert all(s.vetted for s in result.suggestions)
    assert alpha.covered_areas == ("climate_culture", "instruction")
    assert alpha.uncovered_areas == ("sel_health",)
    assert alpha.score_percent == 75


def test_needs_add_up_by_area_largest_first():
    result = _rank()
    assert [(n.area, n.weight) for n in result.area_needs] == [
        ("climate_culture", 3.0),
        ("instruction", 2.0),
        ("sel_health", 1.0),
    ]
    assert result.total_need_weight == 6.0
    assert result.area_needs[0].share == pytest.approx(0.5)
    assert result.area_needs[0].reasons == (
        "Rated 'Developing' on TP4.1",
        "Rated 'Developing' on TP4.2",
    )
    assert result.area_needs[1].sources == ("Performance data",)


def test_unvetted_partners_only_on_request_and_after_every_vetted_one():
    # Delta (0.675) scores above Beta (0.642) but is not vetted: it comes after every designated
    # partner, and before the flagged one.
    result = _rank(include_unvetted=True)
    assert [s.name for s in result.suggestions] == [
        "Alpha Partners",
        "beta learning",
        "Delta Group",
        "Charlie Co",
    ]
    delta = result.suggestions[2]
    assert not delta.vetted
    assert delta.score == pytest.approx(0.675)
    assert "not vetted" in delta.reasons[0]


def test_weights_change_the_order():
    # evidence only: Alpha 0.55, Beta 2.5/3 → Beta first; Charlie (evidence 1) stays last.
    result = _rank(weights={"fit": 0, "evidence": 1, "impact": 0, "grade_band": 0})
    assert [s.name for s in result.suggestions] == ["beta learning", "Alpha Partners", "Charlie Co"]
    assert result.suggestions[0].score == pytest.approx(2.5 / 3)
    # weights are relative: (2, 1, 1, 0) ranks like (0.5, 0.25, 0.25, 0)
    a = _rank(weights=ComponentWeights(2, 1, 1, 0)).suggestions
    b = _rank(weights=ComponentWeights(0.5, 0.25, 0.25, 0)).suggestions
    assert [s.score for s in a] == pytest.approx([s.score for s in b])
    # missing names keep their defaults
    assert _rank(weights={"fit": 0.4}).weights == ComponentWeights()


def test_ties_are_broken_by_name_then_id():
    offer = (AreaOffer("instruction", ("elementary",), True, EXPIRES, 2),)
    candidates = [
        Candidate(9, "Zulu Works", offer),
        Candidate(8, "yankee partners", offer),
        Candidate(7, "Yankee Partners", offer),
        Candidate(6, "Yankee Partners", offer),
    ]
    result = rank_partners(NEEDS, candidates, school_grade_bands=("elementary",))
    assert [(s.name, s.partner_id) for s in result.suggestions] == [
        ("Yankee Partners", 6),
        ("Yankee Partners", 7),
        ("yankee partners", 8),
        ("Zulu Works", 9),
    ]
    assert len({s.score for s in result.suggestions}) == 1
    # the input order does not matter
    again = rank_partners(NEEDS, candidates[::-1], school_grade_bands=("elementary",))
    assert again.suggestions == result.suggestions


def test_the_reason_reads_as_plain_english():
    needs = [
        Need(
            "climate_culture",
            2,
            "Site visit",
            "Rated 'Developing' on TP4.1 School-wide behaviour expectations",
        )
    ]
    result = rank_partners(
        needs, [_alpha()], school_grade_bands=("elementary",), area_labels=LABELS
    )
    assert result.suggestions[0].reasons[0] == (
        "Rated 'Developing' on TP4.1 School-wide behaviour expectations → climate and culture: "
        "designated Priority Partner for climate and culture until 30 June 2027, tier 2 evidence "
        "(QED), measured effect on attendance +1.8 points (95% CI 0.4 to 3.2, 14 schools)"
    )
    text = result.suggestions[0].components_text
    assert text.startswith("fit 100% of the weighted needs; evidence 0.75 (best: tier 2)")


def test_reasons_mention_expiry_engagement_unvetted_areas_and_grade_bands():
    candidate = Candidate(
        1,
        "Alpha Partners",
        (
            AreaOffer("climate_culture", ("high",), True, dt.date(2026, 3, 1), None),
            AreaOffer("instruction", ("elementary",), False, None, 2),
        ),
        engaged_areas=("climate_culture",),
    )
    result = rank_partners(
        NEEDS,
        [candidate],
        school_grade_bands=("elementary",),
        area_labels=LABELS,
        band_labels={"elementary": "Elementary (PK–5)"},
        as_of=dt.date(2026, 1, 30),
    )
    (s,) = result.suggestions
    assert s.covered_areas == ("climate_culture",)  # instruction is offered but not designated
    assert "until 1 March 2026 (expires in 30 days)" in s.reasons[0]
    assert "no evidence claim in this area" in s.reasons[0]
    assert "no measured effect yet" in s.reasons[0]
    assert "does not list the school's elementary (PK–5) grades" in s.reasons[0]
    assert "Also offers instruction; not vetted in that area, so not counted." in s.reasons
    assert "Already working with this school (climate and culture)." in s.reasons
    assert s.engaged_areas == ("climate_culture",)
    assert s.components.grade_band == 0.0


def test_reasons_quote_at_most_three_needs_per_area():
    needs = [
        Need("instruction", 1, "Site visit", f"Rated 'Developing' on TP2.{i}")
        for i in (1, 2, 3, 4, 5)
    ]
    needs.append(Need("instruction", 1, "Performance data", "Rated 'Developing' on TP2.1"))
    result = rank_partners(needs, [_beta()], area_labels=LABELS)
    reason = result.suggestions[0].reasons[0]
    assert reason.startswith(
        "Rated 'Developing' on TP2.1; Rated 'Developing' on TP2.2; Rated 'Developing' on TP2.3; "
        "and 2 more needs in this area → instruction: "
    )
    assert result.area_needs[0].weight == 6.0  # a repeated reason still counts


def test_unknown_school_grade_band_scores_one():
    result = rank_partners(NEEDS, [_beta()], school_grade_bands=())
    assert result.suggestions[0].components.grade_band == 1.0


def test_impact_classes_follow_the_outcome_direction():
    assert impact_class(UP_SIG) == "positive_significant"
    assert impact_class(UP) == "positive"
    assert impact_class(DOWN_SIG) == "negative_significant"
    assert impact_class(Impact("attendance", -0.2, -1.0, 0.6, 9)) == "negative"
    assert impact_class(Impact("attendance", 0.0, -1.0, 1.0, 9)) == "negative"
    fewer_absent = Impact("chronic absence", -2.0, -3.0, -1.0, 10, higher_is_better=False)
    assert impact_class(fewer_absent) == "positive_significant"
    assert fewer_absent.describe() == (
        "chronic absence \u22122.0 points (95% CI \u22123.0 to \u22121.0, 10 schools; "
        "lower is better)"
    )


def test_a_significant_harm_decides_an_area_with_several_outcomes():
    offer = AreaOffer("climate_culture", (), True, EXPIRES, 2, "", (UP_SIG, DOWN_SIG))
    result = rank_partners(NEEDS, [Candidate(1, "Mixed", (offer,))])
    assert result.suggestions[0].impact_classes == {"climate_culture": "negative_significant"}
    offer = AreaOffer("climate_culture", (), True, EXPIRES, 2, "", (UP, UP_SIG))
    result = rank_partners(NEEDS, [Candidate(1, "Mixed", (offer,))])
    assert result.suggestions[0].impact_classes == {"climate_culture": "positive_significant"}
    assert "measured effects on attendance +0.6" in result.suggestions[0].reasons[0]


def test_no_needs_no_suggestions():
    result = rank_partners([], CANDIDATES)
    assert result.suggestions == ()
    assert result.area_needs == ()


def test_format_day():
    assert format_day(dt.date(2027, 6, 30)) == "30 June 2027"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"fitness": 1}, "unknown weight 'fitness'; allowed: fit, evidence, impact, grade_band"),
        ({"fit": -1}, "weight 'fit' must be 0 or more"),
        ({"fit": 0, "evidence": 0, "impact": 0, "grade_band": 0}, "at least one weight"),
        ({"impact": float("nan")}, "weight 'impact' must be a finite number"),
        ({"impact": True}, "weight 'impact' must be a finite number"),
    ],
)
def test_weights_are_validated(weights, message):
    with pytest.raises(MatchInputError, match=message):
        _rank(weights=weights)


def test_inputs_are_validated():
    with pytest.raises(MatchInputError, match="need weight must be above 0"):
        Need("instruction", 0, "x", "y")
    with pytest.raises(MatchInputError, match="need reason must not be empty"):
        Need("instruction", 1, "x", " ")
    with pytest.raises(MatchInputError, match="evidence_tier must be one of 1, 2, 3, 4 or None"):
        AreaOffer("instruction", evidence_tier=5)
    with pytest.raises(MatchInputError, match="must contain the estimate"):
        Impact("attendance", 4.0, 0.4, 3.2, 14)
    with pytest.raises(MatchInputError, match="'instruction' appears twice"):
        Candidate(1, "Dup", (AreaOffer("instruction"), AreaOffer("instruction")))
    with pytest.raises(MatchInputError, match="include_unvetted must be True or False"):
        rank_partners(NEEDS, CANDIDATES, include_unvetted="yes")  # type: ignore[arg-type]
    with pytest.raises(MatchInputError, match="school_grade_bands must be a sequence"):
        rank_partners(NEEDS, CANDIDATES, school_grade_bands="elementary")
    with pytest.raises(TypeError):
        rank_partners(NEEDS, CANDIDATES, weighting={"fit": 1})  # type: ignore[call-arg]


def test_imports_without_django():
    code = (
        "import sys, turnaround.analytics.partner_match; "
        "sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    assert done.returncode == 0
