"""The /api/v1/ root. Each domain app contributes a router; see turnaround/<app>/api.py."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="turnaround API",
    version="1",
    description="Read and write the state's turnaround data. Authenticate with a browser session "
    "or a personal access token (Authorization: Bearer tat_…).",
    docs_url="/docs",
    urls_namespace="api",
)
