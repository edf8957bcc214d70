"""Growth pages, included at the site root: /growth/… and /schools/<id>/growth/students/."""

from django.urls import path

from turnaround.growth import views

app_name = "growth"

urlpatterns = [
    path("growth/", views.growth_home, name="home"),
    path("growth/runs/", views.growth_run_start, name="run_start"),
    path("growth/runs/<int:run_id>/", views.growth_run_detail, name="run"),
    path("schools/<int:school_id>/growth/students/", views.student_growth, name="student_growth"),
]
