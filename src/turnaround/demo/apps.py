from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "turnaround.demo"
    label = "demo"
    verbose_name = "Demo state"
