from django.apps import AppConfig


class RequestLogAppConfig(AppConfig):
    name = "request_log_app"
    verbose_name = "Request log"

    def ready(self) -> None:
        from request_log_app import checks  # noqa: F401 (registers the checks)
