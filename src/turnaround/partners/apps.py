from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "turnaround.partners"
    label = "partners"
    verbose_name = "Partners"
