from django.apps import AppConfig


class Config(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "创卫工作"
