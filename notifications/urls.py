from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("preferences/", views.preferences, name="preferences"),
    path("log/", views.delivery_log, name="log"),
    path("log/<int:message_id>/resend/", views.message_resend, name="resend"),
    path("endpoints/", views.endpoints, name="endpoints"),
    path("endpoints/<int:endpoint_id>/", views.endpoints, name="endpoint"),
    path("endpoints/<int:endpoint_id>/test/", views.endpoint_test, name="endpoint_test"),
    path("rules/", views.rule_settings, name="rules"),
]
