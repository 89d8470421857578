from django.urls import path

from request_log_app.middleware import logged
from sessions_app import views

urlpatterns = [
    path("sessions/validate", logged(views.SessionsBatchValidateView.as_view()), name="sessions-validate-many"),
    path("sessions/validate/<str:session_id>", logged(views.SessionValidateView.as_view()), name="session-validate"),
    path("sessions/<str:session_id>", views.SessionDetailView.as_view(), name="session-detail"),
    path(
        "sessions/<str:session_id>/facepass-status",
        views.SessionFacePassStatusView.as_view(),
        name="session-facepass-status",
    ),
    path("sessions/<str:session_id>/interface", views.session_interface, name="session-interface"),
]
