from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.views import HealthView, LivenessView, ReadinessView, metrics
from sso_app.views import AuthorizationServerMetadataView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/healthz/", HealthView.as_view(), name="healthz"),
    path("api/livez/", LivenessView.as_view(), name="livez"),
    path("api/readyz/", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics, name="metrics"),
    path(".well-known/oauth-authorization-server", AuthorizationServerMetadataView.as_view(), name="sso-metadata"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's script is served from /api/docs/?script and its page has no inline <style>
    # (templates/drf_spectacular/swagger_ui.html): the docs run under the same CSP as everything else.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include("sessions_app.urls")),
    path("api/v1/", include("proxy_app.urls")),
    path("api/v1/", include("sso_app.urls")),
    path("api/v1/", include("request_log_app.urls")),
    path("api/v1/", include("face_search_app.urls")),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"
