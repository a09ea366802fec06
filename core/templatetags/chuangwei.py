from django import template

from core import clock

register = template.Library()

STATUS_BADGES = {
    "recorded": "secondary",
    "assigned": "primary",
    "submitted": "info",
    "returned": "warning",
    "closed": "success",
    "cancelled": "light",
    "merged": "light",
}


@register.filter
def cn_date(value) -> str:
    """2026年3月15日 in Chinese, 15 March 2026 in English."""
    return clock.cn_date(value)


@register.filter
def cn_datetime(value, form: str = "") -> str:
    """2026年3月15日 14:05 in Chinese, 15 March 2026, 14:05 in English; "short" drops the year."""
    return clock.cn_datetime(value, with_year=form != "short")


@register.simple_tag
def cn_today() -> str:
    """Today (the campaign's clock) as cn_date writes it."""
    return clock.cn_date(clock.today())


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "secondary")


@register.filter
def days_left(deadline) -> int | None:
    """Days until a deadline (negative when overdue); the countdown on a liaison's phone."""
    if deadline is None:
        return None
    return (deadline - clock.today()).days


@register.filter
def bs(bound_field):
    """Render a form field's widget with the Bootstrap class that fits it."""
    widget = bound_field.field.widget
    kind = getattr(widget, "input_type", "") or ""
    if kind == "checkbox":
        css = "form-check-input"
    elif widget.__class__.__name__.startswith("Select") or kind == "select":
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def overdue_days(days_left: int | None) -> int | None:
    """How many days late, from a negative days_left."""
    return None if days_left is None else -days_left
