"""The plan builder's pages (included by ``plans.urls`` under the ``plans`` namespace).

Item pages share three views told apart by ``kind`` (``views_content.KINDS``); their names are
``<kind>_new``, ``<kind>_edit``, ``<kind>_delete`` and ``<kind>_move`` for need, root_cause, goal,
objective, strategy, action and benchmark.
"""

from django.urls import URLPattern, path

from turnaround.plans import views_content as v

#: kind → (URL segment, the parent's segment for a nested item's "new" page)
_ITEMS = {
    "need": ("needs", None),
    "root_cause": ("root-causes", "needs"),
    "goal": ("goals", None),
    "objective": ("objectives", None),
    "strategy": ("strategies", "objectives"),
    "action": ("actions", "strategies"),
    "benchmark": ("benchmarks", None),
}


def _item_patterns() -> list[URLPattern]:
    out = []
    for kind, (segment, parent) in _ITEMS.items():
        new = (
            f"plans/<int:plan_id>/{parent}/<int:parent_id>/{segment}/new/"
            if parent
            else f"plans/<int:plan_id>/{segment}/new/"
        )
        item = f"plans/<int:plan_id>/{segment}/<int:item_id>/"
        out += [
            path(new, v.item_new, {"kind": kind}, name=f"{kind}_new"),
            path(item + "edit/", v.item_edit, {"kind": kind}, name=f"{kind}_edit"),
            path(item + "delete/", v.item_delete, {"kind": kind}, name=f"{kind}_delete"),
            path(item + "move/", v.item_move, {"kind": kind}, name=f"{kind}_move"),
        ]
    return out


urlpatterns: list[URLPattern] = [
    path("plans/", v.plan_list_page, name="list"),
    path("plans/new/", v.plan_new, name="new"),
    path("plans/<int:plan_id>/", v.plan_detail, name="detail"),
    path("plans/<int:plan_id>/edit/", v.plan_edit, name="edit"),
    path(
        "plans/<int:plan_id>/needs/from-assessment/",
        v.needs_from_assessment,
        name="needs_from_assessment",
    ),
    path(
        "plans/<int:plan_id>/actions/<int:item_id>/status/",
        v.action_status,
        name="action_status",
    ),
    *_item_patterns(),
]
