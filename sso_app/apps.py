from django.apps import AppConfig


class SsoAppConfig(AppConfig):
    name = "sso_app"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from sso_app import checks, schema  # noqa: F401 (registers the checks and the schema extension)
