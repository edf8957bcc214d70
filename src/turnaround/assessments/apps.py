from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "turnaround.assessments"
    label = "assessments"
    verbose_name = "Assessments and site visits"
