"""Report, PDF, priorities and the comparison across schools (names without a namespace)."""

from django.urls import path, re_path

from turnaround.assessments import views_reports as views

urlpatterns = [
    path("assessments/compare/", views.assessments_compare, name="assessments_compare"),
    re_path(
        r"^assessments/compare/(?P<what>heatmap|distribution)\.(?P<fmt>csv|xlsx)$",
        views.assessments_compare_export,
        name="assessments_compare_export",
    ),
    path(
        "assessments/<int:assessment_id>/report/",
        views.assessment_report,
        name="assessment_report",
    ),
    path(
        "assessments/<int:assessment_id>/report.pdf",
        views.assessment_report_pdf,
        name="assessment_report_pdf",
    ),
    path(
        "assessments/<int:assessment_id>/priorities/",
        views.assessment_priorities,
        name="assessment_priorities",
    ),
]
