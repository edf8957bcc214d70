"""Shared pieces of the accountability API: error shapes and turning refusals into them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from ninja.errors import HttpError, ValidationError

from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.models import School
from turnaround.organizations.schemas import Message, ValidationErrors

READ: dict[int, Any] = {401: Message, 404: Message, 422: ValidationErrors}
WRITE: dict[int, Any] = {**READ, 403: Message, 409: Message}

T = TypeVar("T")


def call(fn: Callable[[], T], names: dict[str, str] | None = None) -> T:
    """Run a service call, turning its refusals into the API's error shapes."""
    try:
        return fn()
    except DjangoValidationError as exc:
        items = []
        if hasattr(exc, "error_dict"):
            for name, msgs in exc.message_dict.items():
                loc = ["body"] if name == "__all__" else ["body", (names or {}).get(name, name)]
                items += [{"loc": loc, "msg": m, "type": "value_error"} for m in msgs]
        else:
            items = [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
        raise ValidationError(items) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You cannot do that.") from exc
    except StaleEditError as exc:
        raise HttpError(409, str(exc)) from exc


def invalid(where: str, field: str, msg: str) -> ValidationError:
    return ValidationError([{"loc": [where, field], "msg": msg, "type": "value_error"}])


def school_ref(school: School) -> dict[str, Any]:
    return {
        "id": school.pk,
        "code": school.code,
        "name": school.name,
        "district": school.district.name,
        "state": school.district.state.code,
    }
