from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "turnaround.monitoring"
    label = "monitoring"
    verbose_name = "Quarterly monitoring and coaching"
