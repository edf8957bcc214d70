from django.apps import AppConfig


class GrowthConfig(AppConfig):
    name = "turnaround.growth"
    label = "growth"
    verbose_name = "Student growth"

    def ready(self) -> None:
        from turnaround.growth import checks  # noqa: F401  (registers the settings checks)
