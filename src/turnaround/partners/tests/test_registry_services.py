"""Registry services: who may write, every refusal with its field and nothing written, stale edits,
the ESSA tier rules of evidence claims, and the registry filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.models import PartnerOrganization
from turnaround.partners.models import (
    Application,
    EvidenceClaim,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
    VettingCycle,
)
from turnaround.partners.services import registry as s

pytestmark = pytest.mark.django_db

RCT_CLAIM = {
    "need_area": "instruction",
    "claim": "Ninth-grade mathematics scores rose",
    "outcome_domain": "mathematics achievement",
    "design": "rct",
    "tier": 1,
    "summary": "One trial in 20 schools; no evidence yet on attendance.",
    "study_citation": "Smith, J. (2019). A randomised trial of coaching. Journal of Ed.",
    "study_url": "https://example.org/study",
}


def designate(partner, state, *, area="instruction", start=-30, end=300, tier=2, revoked=False):
    today = timezone.localdate()
    return PriorityDesignation.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        starts_on=today + dt.timedelta(days=start),
        expires_on=today + dt.timedelta(days=end),
        evidence_tier=tier,
        revoked_at=timezone.now() if revoked else None,
    )


def messages_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


# ---------------------------------------------------------------------------------------------
# Partners


def test_state_admin_adds_a_partner_with_an_audit_event(org, personas):
    partner = s.partner_create(
        actor=personas.state_admin,
        name="  Bright Futures  ",
        website="https://bright.example.org",
        cost_model="per_school",
        grade_bands=["middle", "elementary", "middle"],
        regions=["Western Massachusetts", " western massachusetts ", "statewide"],
    )
    partner.refresh_from_db()
    assert partner.name == "Bright Futures"
    assert partner.grade_bands == ["elementary", "middle"]
    assert partner.regions == ["Western Massachusetts", "statewide"]
    event = AuditEvent.objects.get(object_id=str(partner.pk), action="create")
    assert event.actor == personas.state_admin
    assert event.changes["name"] == "Bright Futures"


@pytest.mark.parametrize("who", ["state_staff", "viewer", "partner_staff", "outsider"])
def test_only_state_admins_add_partners(org, personas, who):
    with pytest.raises(PermissionDenied):
        s.partner_create(actor=getattr(personas, who), name="Bright Futures")
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()


def test_bad_profile_is_refused_field_by_field_and_nothing_is_saved(org, personas):
    with pytest.raises(ValidationError) as exc:
        s.partner_create(
            actor=personas.state_admin,
            name=" ",
            website="htp:/nowhere",
            cost_model="per_hour",
            grade_bands=["kindergarten"],
            regions=["x" * 101],
        )
    errors = messages_of(exc)
    assert set(errors) == {"name", "website", "cost_model", "grade_bands", "regions"}
    assert "http:// or https://" in errors["website"]
    assert "per_school (Fee per school)" in errors["cost_model"]
    assert "“kindergarten” is not a grade band" in errors["grade_bands"]
    assert PartnerOrganization.objects.count() == 2
    assert not AuditEvent.objects.filter(action="create").exists()


def test_a_name_already_in_the_registry_is_refused_ignoring_case(org, personas):
    with pytest.raises(ValidationError) as exc:
        s.partner_create(actor=personas.state_admin, name="acme turnaround PARTNERS")
    assert "already in the registry" in messages_of(exc)["name"]


def test_partner_staff_edit_their_own_partner_but_not_another(org, personas):
    s.partner_update(
        actor=personas.partner_staff,
        partner=org.partner,
        changes={"description": "Coaching for leaders", "regions": ["Boston"]},
        expected_version=1,
    )
    org.partner.refresh_from_db()
    assert org.partner.description == "Coaching for leaders"
    assert org.partner.version == 2
    with pytest.raises(PermissionDenied):
        s.partner_update(
            actor=personas.partner_staff,
            partner=org.other_partner,
            changes={"description": "Hijacked"},
        )
    for who in ("viewer", "ta_provider", "state_staff", "outsider"):
        with pytest.raises(PermissionDenied):
            s.partner_update(
                actor=getattr(personas, who), partner=org.other_partner, changes={"name": "X"}
            )
    org.other_partner.refresh_from_db()
    assert org.other_partner.description == "" and org.other_partner.name == "Other Partner"


def test_a_stale_edit_raises_and_keeps_the_other_edit(org, personas):
    first = PartnerOrganization.objects.get(pk=org.partner.pk)
    second = PartnerOrganization.objects.get(pk=org.partner.pk)
    s.partner_update(actor=personas.state_admin, partner=first, changes={"description": "First"})
    with pytest.raises(StaleEditError):
        s.partner_update(
            actor=personas.partner_staff,
            partner=second,
            changes={"description": "Second"},
            expected_version=1,
        )
    org.partner.refresh_from_db()
    assert org.partner.description == "First" and org.partner.version == 2


def test_an_update_that_changes_nothing_writes_nothing(org, personas):
    s.partner_update(
        actor=personas.state_admin, partner=org.partner, changes={"name": org.partner.name}
    )
    org.partner.refresh_from_db()
    assert org.partner.version == 1
    assert not AuditEvent.objects.filter(action="update").exists()


def test_unknown_fields_are_refused(org, personas):
    with pytest.raises(ValidationError) as exc:
        s.partner_update(actor=personas.state_admin, partner=org.partner, changes={"pk": 9})
    assert "cannot be changed" in messages_of(exc)["pk"]


# ---------------------------------------------------------------------------------------------
# Services and contacts


def test_one_service_per_need_area_created_replaced_and_removed(org, personas):
    admin = personas.state_admin
    service, what = s.service_set(
        actor=admin, partner=org.partner, need_area="instruction", description="Coaching"
    )
    assert what == "created"
    _, what = s.service_set(
        actor=admin,
        partner=org.partner,
        need_area="instruction",
        description="Coaching and modelling",
        grade_bands=["high"],
    )
    assert what == "updated"
    _, what = s.service_set(
        actor=admin,
        partner=org.partner,
        need_area="instruction",
        description="Coaching and modelling",
        grade_bands=["high"],
    )
    assert what == "unchanged"
    stored = ServiceOffering.objects.get(partner=org.partner)
    assert stored.description == "Coaching and modelling" and stored.grade_bands == ["high"]
    s.service_delete(actor=admin, partner=org.partner, need_area="instruction")
    assert not ServiceOffering.objects.exists()
    assert AuditEvent.objects.filter(action="delete").count() == 1


def test_bad_services_are_refused(org, personas):
    with pytest.raises(ValidationError) as exc:
        s.service_set(
            actor=personas.partner_staff,
            partner=org.partner,
            need_area="gardening",
            description="",
            grade_bands=["college"],
        )
    errors = messages_of(exc)
    assert set(errors) == {"need_area", "description", "grade_bands"}
    assert "instruction (Instruction)" in errors["need_area"]
    with pytest.raises(ValidationError):
        s.service_delete(actor=personas.partner_staff, partner=org.partner, need_area="leadership")
    with pytest.raises(PermissionDenied):
        s.service_set(
            actor=personas.other_partner_staff,
            partner=org.partner,
            need_area="instruction",
            description="Nope",
        )
    assert not ServiceOffering.objects.exists()


def test_contacts_keep_one_primary(org, personas):
    staff = personas.partner_staff
    first = s.contact_add(
        actor=staff, partner=org.partner, name="Ana", email="ana@acme.org", is_primary=True
    )
    second = s.contact_add(
        actor=staff, partner=org.partner, name="Ben", phone="+1 617 555 0100", is_primary=True
    )
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary
    s.contact_update(actor=staff, contact=first, changes={"is_primary": True, "title": "CEO"})
    second.refresh_from_db()
    assert not second.is_primary
    with pytest.raises(ValidationError) as exc:
        s.contact_add(actor=staff, partner=org.partner, name="", email="not-an-email", phone="x")
    assert set(messages_of(exc)) == {"name", "email", "phone"}
    s.contact_delete(actor=staff, contact=second)
    assert list(PartnerContact.objects.values_list("name", flat=True)) == ["Ana"]


# ---------------------------------------------------------------------------------------------
# Evidence claims


def test_a_tier_1_claim_with_its_trial_is_stored(org, personas):
    claim = s.evidence_add(actor=personas.partner_staff, partner=org.partner, **RCT_CLAIM)
    claim.refresh_from_db()
    assert claim.tier == 1 and claim.effective_tier == 1
    assert AuditEvent.objects.filter(object_id=str(claim.pk), action="create").exists()


@pytest.mark.parametrize(
    ("changes", "field", "phrase"),
    [
        ({"design": "qed"}, "design", "needs a randomised controlled trial"),
        ({"tier": 2, "design": "correlational"}, "design", "quasi-experimental"),
        ({"tier": 2, "study_citation": ""}, "study_citation", "needs the citation of its study"),
        ({"tier": 1, "study_citation": " "}, "study_citation", "reviewers must be able to read"),
        ({"tier": 3, "design": "logic_model"}, "design", "correlational study with statistical"),
        ({"tier": 3, "design": "correlational", "study_citation": ""}, "study_citation", "tier 4"),
        ({"tier": 5}, "tier", "5 is not an ESSA tier"),
        ({"tier": "two"}, "tier", "“two” is not an ESSA tier"),
        ({"study_url": "example.org/study"}, "study_url", "http:// or https://"),
        ({"design": "anecdote"}, "design", "is not a study design"),
        ({"summary": ""}, "summary", "Give the summary"),
        ({"wwc_rating": "gold"}, "wwc_rating", "What Works Clearinghouse"),
    ],
)
def test_evidence_claims_follow_the_essa_tiers(org, personas, changes, field, phrase):
    with pytest.raises(ValidationError) as exc:
        s.evidence_add(
            actor=personas.partner_staff, partner=org.partner, **{**RCT_CLAIM, **changes}
        )
    errors = messages_of(exc)
    assert field in errors, errors
    assert phrase in errors[field]
    assert not EvidenceClaim.objects.exists()


def test_a_tier_4_claim_needs_no_study(org, personas):
    claim = s.evidence_add(
        actor=personas.state_admin,
        partner=org.partner,
        **{**RCT_CLAIM, "tier": 4, "design": "logic_model", "study_citation": "", "study_url": ""},
    )
    assert claim.tier == 4


def test_state_staff_confirm_a_tier_and_a_change_of_basis_clears_it(org, personas):
    claim = s.evidence_add(
        actor=personas.partner_staff, partner=org.partner, **{**RCT_CLAIM, "tier": 2}
    )
    with pytest.raises(PermissionDenied):
        s.evidence_confirm(actor=personas.partner_staff, claim=claim, confirmed_tier=1)
    with pytest.raises(PermissionDenied):
        s.evidence_confirm(actor=personas.viewer, claim=claim, confirmed_tier=1)
    s.evidence_confirm(actor=personas.state_staff, claim=claim, confirmed_tier=1)
    claim.refresh_from_db()
    assert claim.confirmed_tier == 1 and claim.effective_tier == 1
    assert claim.confirmed_by == personas.state_staff
    assert claim.confirmed_on == timezone.localdate()
    # A wording change keeps the confirmation; a change of design clears it.
    s.evidence_update(
        actor=personas.partner_staff, claim=claim, changes={"claim": "Scores rose by 0.1 SD"}
    )
    claim.refresh_from_db()
    assert claim.confirmed_tier == 1
    s.evidence_update(
        actor=personas.partner_staff,
        claim=claim,
        changes={"design": "qed"},
        expected_version=claim.version,
    )
    claim.refresh_from_db()
    assert claim.design == "qed" and claim.confirmed_tier is None and claim.confirmed_by is None


def test_the_confirmed_tier_obeys_the_same_rules(org, personas):
    claim = s.evidence_add(
        actor=personas.partner_staff,
        partner=org.partner,
        **{**RCT_CLAIM, "tier": 3, "design": "correlational"},
    )
    with pytest.raises(ValidationError) as exc:
        s.evidence_confirm(actor=personas.state_admin, claim=claim, confirmed_tier=2)
    assert "quasi-experimental" in messages_of(exc)["confirmed_tier"]
    claim.refresh_from_db()
    assert claim.confirmed_tier is None and claim.version == 1


def test_a_stale_claim_edit_is_refused(org, personas):
    claim = s.evidence_add(actor=personas.partner_staff, partner=org.partner, **RCT_CLAIM)
    stale = EvidenceClaim.objects.get(pk=claim.pk)
    s.evidence_update(actor=personas.state_admin, claim=claim, changes={"claim": "New"})
    with pytest.raises(StaleEditError):
        s.evidence_update(
            actor=personas.partner_staff,
            claim=stale,
            changes={"claim": "Other"},
            expected_version=1,
        )
    claim.refresh_from_db()
    assert claim.claim == "New"


def test_a_claim_cited_by_a_submitted_application_stays(org, personas):
    claim = s.evidence_add(actor=personas.partner_staff, partner=org.partner, **RCT_CLAIM)
    today = timezone.localdate()
    cycle = VettingCycle.objects.create(
        state=org.state,
        name="2026 call",
        opens_on=today,
        closes_on=today + dt.timedelta(days=30),
        designation_starts_on=today + dt.timedelta(days=60),
    )
    application = Application.objects.create(
        cycle=cycle,
        partner=org.partner,
        track_record="10 schools",
        measured_results="State tests",
        approach="Coaching",
        status=Application.Status.SUBMITTED,
    )
    application.evidence.add(claim)
    with pytest.raises(ValidationError) as exc:
        s.evidence_delete(actor=personas.partner_staff, claim=claim)
    assert "2026 call" in exc.value.messages[0]
    assert EvidenceClaim.objects.filter(pk=claim.pk).exists()
    application.status = Application.Status.DRAFT
    application.save()
    s.evidence_delete(actor=personas.partner_staff, claim=claim)
    assert not EvidenceClaim.objects.exists()


# ---------------------------------------------------------------------------------------------
# Reads


def test_registry_filters_and_best_effective_tier(org, personas):
    admin = personas.state_admin
    org.partner.grade_bands = ["elementary", "middle"]
    org.partner.save()
    s.service_set(actor=admin, partner=org.partner, need_area="data_use", description="Data")
    weak = s.evidence_add(
        actor=admin,
        partner=org.other_partner,
        **{**RCT_CLAIM, "tier": 3, "design": "correlational"},
    )
    s.evidence_add(
        actor=admin,
        partner=org.partner,
        **{**RCT_CLAIM, "tier": 4, "design": "logic_model", "study_citation": ""},
    )
    designate(org.partner, org.state)
    designate(org.other_partner, org.other_state)
    states = s.viewer_states(personas.viewer)
    assert [st.code for st in states] == ["MA"]

    def names(**params):
        filters = s.RegistryFilters.from_params(params)
        qs = s.partner_search(PartnerOrganization.objects.all(), filters, states=states)
        return [p.name for p in qs]

    assert names() == ["Acme Turnaround Partners", "Other Partner"]
    assert names(q="acme") == ["Acme Turnaround Partners"]
    assert names(need_area="data_use") == ["Acme Turnaround Partners"]
    assert names(grade_band="middle") == ["Acme Turnaround Partners"]
    assert names(grade_band="high") == []
    assert names(tier="3") == ["Other Partner"]
    assert names(priority="1") == ["Acme Turnaround Partners"]  # Other Partner's is in RI
    # The state's confirmation is the effective tier.
    s.evidence_confirm(actor=admin, claim=weak, confirmed_tier=4)
    assert names(tier="3") == []
    rows = s.registry_rows(
        s.partner_search(PartnerOrganization.objects.all(), s.RegistryFilters(), states=states)
    )
    acme = rows[0]
    assert acme.best_tier == 4 and acme.need_areas == ["data_use"]
    assert acme.is_starred and acme.status_label.startswith("Priority Partner, evidence-based")
    assert rows[1].status_label == "Not a Priority Partner"


def test_bad_filters_name_the_parameter():
    with pytest.raises(Exception) as exc:
        s.RegistryFilters.from_params({"tier": "5", "need_area": "x", "priority": "maybe"})
    assert set(exc.value.errors) == {"tier", "need_area", "priority"}  # type: ignore[attr-defined]


def test_partner_staff_see_designations_of_every_state(org, personas):
    assert {st.code for st in s.viewer_states(personas.partner_staff)} == {"MA", "RI"}
    assert {st.code for st in s.viewer_states(personas.district_leader)} == {"MA"}
