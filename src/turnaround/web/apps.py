from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "turnaround.web"
    label = "web"
    verbose_name = "Web pages"
