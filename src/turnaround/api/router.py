"""The /api/v1/ root. Each domain app contributes a router; see turnaround/<app>/api.py.

Every endpoint requires a personal access token or a browser session (``turnaround.api.auth``).
Errors have one shape, ``{"detail": ...}``:

- 401 when neither credential is valid;
- 404 ``{"detail": "Not found."}`` for a missing object and for one that is not yours alike;
- 422 ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`` for a bad parameter, each
  item naming where the value is (``["query", "type"]``) and what is wrong with it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from turnaround.accountability.api_designations import router as designations_router
from turnaround.accountability.api_runs import router as identification_router
from turnaround.api.auth import default_auth
from turnaround.assessments.api import router as assessments_router
from turnaround.assessments.api_reports import router as assessment_reports_router
from turnaround.frameworks.api import router as frameworks_router
from turnaround.growth.api import router as growth_router
from turnaround.imports.api import router as imports_router
from turnaround.monitoring.api_coaching import router as coaching_router
from turnaround.monitoring.api_dashboard import router as plan_dashboard_router
from turnaround.monitoring.api_sessions import router as sessions_router
from turnaround.organizations.api import router as organizations_router
from turnaround.organizations.selectors import FilterError
from turnaround.partners.api_engagements import router as partner_engagements_router
from turnaround.partners.api_impact import router as partner_impact_router
from turnaround.partners.api_matching import router as partner_matching_router
from turnaround.partners.api_registry import router as partner_registry_router
from turnaround.partners.api_vetting import router as partner_vetting_router
from turnaround.plans.api_content import router as plan_content_router
from turnaround.plans.api_workflow import router as plan_workflow_router

api = NinjaAPI(
    title="turnaround API",
    version="1",
    description="Read and write the state's turnaround data. Authenticate with a browser session "
    "or a personal access token (Authorization: Bearer tat_…).",
    docs_url="/docs",
    urls_namespace="api",
    auth=default_auth(),
)

api.add_router("/", organizations_router)
api.add_router("/", growth_router)
api.add_router("/", identification_router)
api.add_router("/", designations_router)
api.add_router("/", imports_router)
api.add_router("/", frameworks_router)
api.add_router("/", assessments_router)
api.add_router("/", assessment_reports_router)
api.add_router("/", partner_registry_router)
api.add_router("/", partner_vetting_router)
api.add_router("/", partner_engagements_router)
api.add_router("/", partner_impact_router)
api.add_router("/", partner_matching_router)
api.add_router("/", plan_content_router)
api.add_router("/", plan_workflow_router)
api.add_router("/", sessions_router)
api.add_router("/", coaching_router)
api.add_router("/", plan_dashboard_router)


def _error_item(error: dict[str, Any]) -> dict[str, Any]:
    return {
        "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
        "msg": str(error.get("msg", "invalid value")),
        "type": str(error.get("type", "value_error")),
    }


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": [_error_item(e) for e in exc.errors]}, status=422
    )


@api.exception_handler(FilterError)
def filter_error(request: HttpRequest, exc: FilterError) -> HttpResponse:
    detail = [
        {"loc": ["query", param], "msg": reason, "type": "value_error"}
        for param, reason in exc.errors.items()
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The same answer whether the object is missing or belongs to someone else.
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "detail": "Authentication required: sign in, or send a personal access token as "
            "'Authorization: Bearer tat_…'. Revoked and expired tokens are refused."
        },
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="turnaround"'
    return response
