from __future__ import annotations

from django.urls import path

from request_log_app import views

urlpatterns = [
    path("logs/<str:pod_name>", views.RequestLogView.as_view(), name="request-log"),
]
