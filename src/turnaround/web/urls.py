from django.urls import path

from turnaround.audit import views as audit_views
from turnaround.organizations import views as org_views
from turnaround.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("states/<str:code>/", org_views.state_overview, name="state"),
    path("schools/", org_views.schools, name="schools"),
    path("schools/export.<str:fmt>", org_views.schools_export, name="schools_export"),
    path("schools/<int:school_id>/", org_views.school_profile, name="school"),
    path("schools/<int:school_id>/edit/", org_views.school_edit, name="school_edit"),
    path("districts/<int:district_id>/", org_views.district_page, name="district"),
    path("audit/", audit_views.audit_events, name="audit"),
]
