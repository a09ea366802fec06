from django.apps import AppConfig


class Config(AppConfig):
    name = "organisation"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "组织"
