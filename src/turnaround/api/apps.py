from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "turnaround.api"
    label = "api"
    verbose_name = "API"
