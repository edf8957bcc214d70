from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "turnaround.accountability"
    label = "accountability"
    verbose_name = "Accountability"
