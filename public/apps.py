from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "public"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("公众服务")
