from __future__ import annotations

from django.urls import path

from sso_app import views

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="sso-login"),
    path("auth/request-login-token", views.LoginCodeRequestView.as_view(), name="sso-request-login-token"),
    path("auth/login-token", views.LoginCodeRedeemView.as_view(), name="sso-login-token"),
    path("auth/validate", views.TokenValidateView.as_view(), name="sso-validate"),
    path("auth/introspect", views.TokenIntrospectView.as_view(), name="sso-introspect"),
    path("auth/check", views.TokenCheckView.as_view(), name="sso-check"),
    path("auth/logout", views.LogoutView.as_view(), name="sso-logout"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="sso-logout-all"),
    path("auth/session", views.SessionView.as_view(), name="sso-session"),
]
