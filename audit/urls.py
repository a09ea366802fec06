from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("log/", views.security_log, name="log"),
    path("log.xlsx", views.security_log_xlsx, name="log_xlsx"),
]
