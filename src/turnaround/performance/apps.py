from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "turnaround.performance"
    label = "performance"
    verbose_name = "Performance data"
