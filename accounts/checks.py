from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_mode_off(app_configs, **kwargs):
    """DEMO_MODE keeps the demo's published password and waives the second factor: for
    `make run` on a laptop, never for a server."""
    if settings.DEMO_MODE:
        return [
            Warning(
                "DEMO_MODE is on: the demo's shared password is not forced to change and no one "
                "is required to use a second factor.",
                hint="Unset DEMO_MODE outside `make run`.",
                id="accounts.W001",
            )
        ]
    return []
