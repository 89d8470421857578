from django.apps import AppConfig


class FaceSearchAppConfig(AppConfig):
    name = "face_search_app"
    verbose_name = "Face search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from face_search_app import checks  # noqa: F401 (registers the checks)
