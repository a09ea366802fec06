from django.apps import AppConfig


class Config(AppConfig):
    name = "problems"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "问题"
