from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "turnaround.frameworks"
    label = "frameworks"
    verbose_name = "Frameworks"
