from django.apps import AppConfig


class ProxyAppConfig(AppConfig):
    name = "proxy_app"
    verbose_name = "Pixora API proxy"

    def ready(self) -> None:
        from common.health import HEALTH_CHECKS
        from proxy_app import checks  # noqa: F401 (registers the settings checks)
        from proxy_app.services import pixora_api_health

        # Informational: Pixora's API being down is not this instance's fault, so it never fails our health.
        HEALTH_CHECKS["pixora_api"] = (pixora_api_health, None)
