"""Writes to assessments. Every function is keyword-only, validates before it saves, runs in one
transaction and records an audit event; a refused call writes nothing.

Errors they raise:

- ``django.core.exceptions.ValidationError`` — bad input, with the message to show;
- ``django.core.exceptions.PermissionDenied`` — the actor may see the assessment but not do this;
- ``AssessmentLockedError`` — an ordinary edit of a finalised assessment (amend it with a reason);
- ``turnaround.core.concurrency.StaleEditError`` — someone else saved in between.
"""

from turnaround.assessments.services._common import AssessmentLockedError, locked_message
from turnaround.assessments.services.assessments import (
    SITE_VISIT_MAX_DAYS,
    assessment_create,
    assessment_update,
    school_year_of,
)
from turnaround.assessments.services.evidence import (
    EVIDENCE_FILE_TYPES,
    EVIDENCE_MAX_BYTES,
    evidence_delete,
    evidence_save,
)
from turnaround.assessments.services.lifecycle import (
    assessment_amend,
    assessment_finalise,
    assessment_move_to_consensus,
    assessment_start,
    executive_summary_save,
)
from turnaround.assessments.services.planning import (
    document_request_add,
    document_request_update,
    needs_consent,
    questionnaire_answer,
    questionnaire_set,
    schedule_item_add,
    schedule_item_delete,
    schedule_item_update,
)
from turnaround.assessments.services.ratings import (
    consensus_rating_save,
    practice_finding_save,
    reviewer_rating_save,
)
from turnaround.assessments.services.team import team_member_add, team_member_remove

__all__ = [
    "EVIDENCE_FILE_TYPES",
    "EVIDENCE_MAX_BYTES",
    "SITE_VISIT_MAX_DAYS",
    "AssessmentLockedError",
    "assessment_amend",
    "assessment_create",
    "assessment_finalise",
    "assessment_move_to_consensus",
    "assessment_start",
    "assessment_update",
    "consensus_rating_save",
    "document_request_add",
    "document_request_update",
    "evidence_delete",
    "evidence_save",
    "executive_summary_save",
    "locked_message",
    "needs_consent",
    "practice_finding_save",
    "questionnaire_answer",
    "questionnaire_set",
    "reviewer_rating_save",
    "schedule_item_add",
    "schedule_item_delete",
    "schedule_item_update",
    "school_year_of",
    "team_member_add",
    "team_member_remove",
]
