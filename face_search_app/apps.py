from django.apps import AppConfig


class FaceSearchAppConfig(AppConfig):
    name = "face_search_app"
    verbose_name = "Face search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.health import CONNECTED, HEALTH_CHECKS
        from face_search_app import checks  # noqa: F401 (registers the checks)
        from face_search_app.health import task_queue_check

        HEALTH_CHECKS["task_queue"] = (task_queue_check, {CONNECTED})
