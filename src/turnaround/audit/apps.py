from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "turnaround.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from turnaround.audit import signals  # noqa: F401  (connects login events)
