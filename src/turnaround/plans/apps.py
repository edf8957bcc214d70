from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "turnaround.plans"
    label = "plans"
    verbose_name = "Turnaround plans"
