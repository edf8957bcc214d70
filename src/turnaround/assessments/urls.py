from django.urls import include, path

urlpatterns = [
    path("", include("turnaround.assessments.urls_visits")),
    path("", include("turnaround.assessments.urls_reports")),
]
