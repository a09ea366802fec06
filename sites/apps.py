from django.apps import AppConfig


class Config(AppConfig):
    name = "sites"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "点位"
