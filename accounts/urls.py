"""Signing in, under /accounts/. No password-reset-by-mail pages: there is no mail here; an
administrator sets a new password, which the person must change at the next sign-in."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", views.SignOut.as_view(), name="logout"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("two-factor/", views.second_factor_verify, name="second_factor_verify"),
    path("two-factor/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/remove/", views.second_factor_remove, name="second_factor_remove"),
    path("security/", views.account_security, name="account_security"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/release/", views.lockout_release, name="lockout_release"),
    path("lockouts/reset-two-factor/", views.second_factor_reset, name="second_factor_reset"),
]

# Before the admin's own: its sign-in, sign-out and password pages are these (config/urls.py).
admin_urlpatterns = [
    path("login/", views.admin_login),
    path("logout/", views.SignOut.as_view()),
    path("password_change/", views.admin_password_change),
]
