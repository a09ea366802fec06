from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("账号与登录")

    def ready(self):
        from accounts import checks  # noqa: F401  (registers the deploy check)
