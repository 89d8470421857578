from django.apps import AppConfig


class FaceSearchAppConfig(AppConfig):
    name = "face_search_app"
    verbose_name = "Face search"
    default_auto_field = "django.db.models.BigAutoField"
