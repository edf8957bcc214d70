"""Import pages, included at the site root: /imports/…"""

from django.urls import path

from turnaround.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/new/", views.import_new, name="new"),
    path(
        "imports/template/results-template.<str:fmt>",
        views.template_download,
        name="template",
    ),
    path("imports/<int:job_id>/", views.import_detail, name="detail"),
    path("imports/<int:job_id>/commit/", views.import_commit, name="commit"),
    path("imports/<int:job_id>/check/", views.import_validate, name="validate"),
    path("imports/<int:job_id>/problems.csv", views.import_problems_csv, name="problems_csv"),
]
