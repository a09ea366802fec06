from django.apps import AppConfig


class Config(AppConfig):
    name = "standard"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "标准"
