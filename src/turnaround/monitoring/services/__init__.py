"""Writes to quarterly sessions and coaching comments. Every function is keyword-only, validates
before it saves, runs in one transaction and records an audit event; a refused call writes nothing.

Errors they raise:

- ``django.core.exceptions.ValidationError`` — bad input, with the message to show (per field);
- ``django.core.exceptions.PermissionDenied`` — the actor may see the plan but not do this (or
  cannot see it at all);
- ``SessionLockedError`` — a change to a session that was held (its minutes are final);
- ``turnaround.core.concurrency.StaleEditError`` — someone else saved in between.
"""

from turnaround.monitoring.services.coaching import (
    COMMENT_MAX,
    comment_add,
    notification_mark_read,
    notifications_mark_all_read,
    send_comment_emails,
)
from turnaround.monitoring.services.sessions import (
    SessionLockedError,
    benchmark_status_record,
    carried_forward_steps,
    check_value,
    hold_blockers,
    locked_message,
    next_step_add,
    next_step_close,
    plan_is_monitored,
    session_hold,
    session_open,
    session_schedule,
    session_update,
    session_update_notes,
)

__all__ = [
    "COMMENT_MAX",
    "SessionLockedError",
    "benchmark_status_record",
    "carried_forward_steps",
    "check_value",
    "comment_add",
    "hold_blockers",
    "locked_message",
    "next_step_add",
    "next_step_close",
    "notification_mark_read",
    "notifications_mark_all_read",
    "plan_is_monitored",
    "send_comment_emails",
    "session_hold",
    "session_open",
    "session_schedule",
    "session_update",
    "session_update_notes",
]
