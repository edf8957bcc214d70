from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "turnaround.organizations"
    label = "organizations"
    verbose_name = "Organisations"
