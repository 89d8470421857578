from django.urls import path

from face_search_app import views

urlpatterns = [
    path("sessions/<str:session_id>/face-search", views.FaceSearchCreateView.as_view(), name="session-face-search"),
    path(
        "sessions/<str:session_id>/face-search/<str:request_id>",
        views.FaceSearchDetailView.as_view(),
        name="session-face-search-detail",
    ),
    path("webhooks/pixora", views.PixoraWebhookView.as_view(), name="pixora-webhook"),
]
