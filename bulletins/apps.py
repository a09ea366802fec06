from django.apps import AppConfig


class Config(AppConfig):
    name = "bulletins"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "通报"
