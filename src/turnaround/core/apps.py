from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "turnaround.core"
    label = "core"
    verbose_name = "Core"
