"""Framework pages, included at the site root: /frameworks/…"""

from django.urls import path

from turnaround.frameworks import editor_views as edit
from turnaround.frameworks import views

app_name = "frameworks"

V = "frameworks/<int:framework_id>/versions/<int:number>/"

urlpatterns = [
    path("frameworks/", views.framework_list, name="list"),
    path("frameworks/new/", views.framework_new, name="new"),
    path("frameworks/import/", views.framework_import, name="import"),
    path("frameworks/<int:framework_id>/", views.framework_detail, name="detail"),
    path(
        "frameworks/<int:framework_id>/versions/new/",
        views.version_create,
        name="version_create",
    ),
    path(V, views.version_detail, name="version"),
    path(V + "export.<str:fmt>", views.version_export, name="export"),
    path(V + "edit/", views.version_edit, name="version_edit"),
    path(V + "publish/", views.version_publish, name="publish"),
    path(V + "discard/", views.version_discard, name="discard"),
    path(V + "copy/", views.framework_copy, name="copy"),
    # the draft's content
    path(V + "practices/new/", edit.practice_new, name="practice_create"),
    path(V + "practices/<int:practice_id>/edit/", edit.practice_edit, name="practice_edit"),
    path(V + "practices/<int:practice_id>/delete/", edit.practice_remove, name="practice_delete"),
    path(V + "practices/<int:practice_id>/move/", edit.practice_reorder, name="practice_move"),
    path(
        V + "practices/<int:practice_id>/components/new/",
        edit.component_new,
        name="component_create",
    ),
    path(V + "components/<int:component_id>/edit/", edit.component_edit, name="component_edit"),
    path(
        V + "components/<int:component_id>/delete/",
        edit.component_remove,
        name="component_delete",
    ),
    path(V + "components/<int:component_id>/move/", edit.component_reorder, name="component_move"),
    path(
        V + "components/<int:component_id>/indicators/new/",
        edit.indicator_new,
        name="indicator_create",
    ),
    path(V + "indicators/<int:indicator_id>/edit/", edit.indicator_edit, name="indicator_edit"),
    path(
        V + "indicators/<int:indicator_id>/delete/",
        edit.indicator_remove,
        name="indicator_delete",
    ),
    path(V + "indicators/<int:indicator_id>/move/", edit.indicator_reorder, name="indicator_move"),
]
