"""The Python-written <select> (core/renderers.py) writes exactly what Django's templates write,
for every kind of select the screens use: plain, multiple, grouped, with a choice selected, an
empty choice, attributes set to True or False, and labels that need escaping."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.renderers import FormRenderer

CHOICES = [("", "全部"), ("a&b", '东城 <街道> "甲"'), (3, mark_safe("<b>已加粗</b>")), ("x'y", "西城街道")]
GROUPED = [("街道", [("e", "东城"), ("w", "西城")]), ("部门", [("d1", "住建局"), ("d2", "城管局")]), ("", "未分组")]


def both(widget, name, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=FormRenderer()),
        widget.render(name, value, attrs=attrs, renderer=DjangoTemplates()),
    )


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), "", None),
        (forms.Select(choices=CHOICES), "a&b", {"class": "form-select form-select-sm", "id": "id_unit"}),
        (forms.Select(choices=CHOICES), 3, {"required": True, "disabled": False, "aria-describedby": "h"}),
        (forms.SelectMultiple(choices=CHOICES), ["a&b", "x'y"], {"id": "id_status"}),
        (forms.Select(choices=GROUPED), "w", {"id": "id_g"}),
        (forms.SelectMultiple(choices=GROUPED), ["d2", ""], None),
        (forms.NullBooleanSelect(), True, {"id": "id_n"}),
        (forms.Select(choices=[]), None, None),
    ],
)
def test_the_select_written_in_python_is_what_the_templates_write(widget, value, attrs):
    fast, templated = both(widget, "unit", value, attrs)
    assert fast == templated


def test_a_form_field_renders_through_the_setting(settings):
    class Filter(forms.Form):
        unit = forms.ChoiceField(choices=CHOICES, required=False)

    html = str(Filter({"unit": "a&b"})["unit"])
    assert settings.FORM_RENDERER == "core.renderers.FormRenderer"
    assert '<option value="a&amp;b" selected>东城 &lt;街道&gt; &quot;甲&quot;</option>' in html
    assert '<option value="3"><b>已加粗</b></option>' in html
