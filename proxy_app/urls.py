from django.urls import path

from proxy_app import views
from request_log_app.middleware import logged

urlpatterns = [
    # `path`, not `str`: an id with a slash in it is a 400 like any other bad id, not the router's 404.
    path("remote-services/<path:session_id>", logged(views.RemoteServicesView.as_view()), name="remote-services"),
]
