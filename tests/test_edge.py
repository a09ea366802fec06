"""The edge (core/text.py): its rules, and that nothing can skip it. Every form class of the project
goes through `core.forms.EdgeMixin`, every admin form too, and every input field of every API
operation is declared with `core.schema`'s types: a new form or field that forgets it fails here."""

import datetime as dt
import importlib
import types
import typing
import uuid

import annotated_types
import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from ninja.files import UploadedFile
from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from config.api import api
from core import schema, text
from core.forms import EdgeMixin, Form
from tests.test_layers import FIRST_PARTY, ROOT

# ---- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("幸福巷 3 号", "幸福巷 3 号"),
        ("第一行\r\n第二行", "第一行\n第二行"),  # what a browser sends from a textarea
        ("第一行\r第二行", "第一行\n第二行"),
        ("第一行\x0b第二行", "第一行\n第二行"),  # Word's Shift+Enter
        ("分页\x0c之后", "分页\n之后"),
        ("列\t对齐", "列\t对齐"),  # tab stays
        ("垃圾\x01堆积\x1f", "垃圾堆积"),
        ("删除\x7f键\x85", "删除键"),  # DEL and C1
        ("东\u200b城\u200c街\u200d道\u2060\ufeff", "东城街道"),
        ("\u202eabc\u202c", "abc"),  # right-to-left override
        ("\u2066\u2067\u2068名称\u2069", "名称"),
        ("\u200e\u200f\u061c方向", "方向"),
        ("e\u0301", "\u00e9"),  # NFC
        ("\ufffe\uffff无", "无"),
    ],
)
def test_text_is_stored_normalised(given, stored):
    assert text.text(given) == stored


@pytest.mark.parametrize(
    ("given", "code"),
    [("a\x00b", "null_characters"), ("\x00", "null_characters"), ("a\ud800b", "surrogates")],
)
def test_nul_and_lone_surrogates_are_refused_with_a_message(given, code):
    with pytest.raises(text.Refused) as refused:
        text.text(given)
    assert refused.value.code == code
    assert refused.value.message in (
        "内容含有空字符（NUL），这不是正常输入的文字，请删除后重新填写",
        "内容含有无效的字符编码，请重新输入",
    )


def test_dates_run_from_2000_to_five_years_ahead(frozen_today):
    assert text.max_date() == dt.date(2031, 12, 31)
    for day in (dt.date(2000, 1, 1), dt.date(2026, 5, 12), dt.date(2031, 12, 31)):
        assert text.date(day) == day
    for day in (dt.date(1, 1, 1), dt.date(1999, 12, 31), dt.date(2032, 1, 1), dt.date(9999, 12, 31)):
        with pytest.raises(text.Refused) as refused:
            text.date(day)
        assert refused.value.message == "日期须在 2000-01-01 至 2031-12-31 之间"


# ---- every form goes through the edge -----------------------------------------------------------


def _project_modules():
    for package in sorted(FIRST_PARTY | {"config"}):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts or "." in path.stem:  # gunicorn.conf.py
                continue
            yield importlib.import_module(".".join(p for p in parts if p != "__init__"))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_class_of_the_project_goes_through_the_edge():
    list(_project_modules())
    ours = {cls for cls in _subclasses(forms.BaseForm) if cls.__module__.split(".")[0] in FIRST_PARTY | {"config"}}
    assert len(ours) > 20  # the walk found the forms
    assert sorted(f"{c.__module__}.{c.__name__}" for c in ours if not issubclass(c, EdgeMixin)) == []


def test_every_admin_form_goes_through_the_edge(world):
    request = RequestFactory().get("/admin/")
    request.user = type(world.office).objects.create_superuser("root", password="x-Very-long-1")
    for model, model_admin in admin.site._registry.items():
        assert issubclass(model_admin.get_form(request), EdgeMixin), model
        obj = model.objects.first()
        for formset, _inline in model_admin.get_formsets_with_inlines(request, obj):
            assert issubclass(formset.form, EdgeMixin), (model, formset)


def test_a_form_refuses_nul_in_any_field_with_a_chinese_message_and_normalises_text():
    class Sample(Form):
        name = forms.CharField()
        when = forms.DateField(required=False)
        kinds = forms.MultipleChoiceField(choices=[("a", "A")], required=False)

    form = Sample({"name": "幸福\x00巷", "when": "2026-05-12\x00", "kinds": ["a\x00"]})
    assert not form.is_valid()
    nul = "内容含有空字符（NUL），这不是正常输入的文字，请删除后重新填写"
    assert form.errors == {"name": [nul], "when": [nul], "kinds": [nul]}

    form = Sample({"name": "  \u202e幸福\u200b巷\x0b3 号\x01 ", "when": "2026-05-12", "kinds": ["a"]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "幸福巷\n3 号"


def test_a_form_refuses_dates_out_of_range_and_nan(frozen_today):
    class Sample(Form):
        when = forms.DateField(required=False)
        moment = forms.DateTimeField(required=False)
        number = forms.FloatField(required=False)
        count = forms.IntegerField(required=False)

    form = Sample({"when": "0001-01-01", "moment": "9999-12-31 10:00", "number": "nan", "count": "1" + "0" * 30})
    assert not form.is_valid()
    assert form.errors["when"] == ["日期须在 2000-01-01 至 2031-12-31 之间"]
    assert form.errors["moment"] == ["日期须在 2000-01-01 至 2031-12-31 之间"]
    assert form.errors["number"] == ["输入一个数字。"]  # Django's FloatField refuses NaN itself
    assert form.errors["count"] == ["数值超出允许范围"]


# ---- every API input goes through the edge ------------------------------------------------------


def _metadata(items) -> list:
    flat = []
    for item in items:
        flat.extend(_metadata(item.metadata) if isinstance(item, FieldInfo) else [item])
    return flat


def _validators(metadata) -> set:
    return {m.func for m in metadata if isinstance(m, BeforeValidator | AfterValidator)}


def _bounded(metadata, *, finite: bool) -> bool:
    kinds = {type(m) for m in metadata}
    has_bounds = bool(kinds & {annotated_types.Ge, annotated_types.Gt}) and bool(
        kinds & {annotated_types.Le, annotated_types.Lt}
    )
    no_nan = any(getattr(m, "allow_inf_nan", True) is False for m in metadata)
    return has_bounds and (no_nan or not finite)


def _unchecked(annotation, metadata: list, where: str) -> list[str]:
    """The places in an input type that skip the edge."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unchecked(args[0], metadata + _metadata(args[1:]), where)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in args if arg is not type(None) for p in _unchecked(arg, metadata, where)]
    if origin in (list, tuple, set):
        bounded = any(isinstance(m, annotated_types.MaxLen) for m in metadata)
        return ([] if bounded else [f"{where}: list without max_length"]) + [
            p for arg in args for p in _unchecked(arg, [], f"{where}[]")
        ]
    if origin is typing.Literal or annotation in (bool, uuid.UUID, UploadedFile):
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            p
            for name, field in annotation.model_fields.items()
            for p in _unchecked(field.annotation, _metadata(field.metadata), f"{where}.{name}")
        ]
    if annotation is str:
        return [] if _validators(metadata) & set(schema.EDGE_VALIDATORS) else [f"{where}: str without core.schema.Text"]
    if annotation in (dt.date, dt.datetime):
        return [] if _validators(metadata) & set(schema.EDGE_VALIDATORS) else [f"{where}: date without core.schema"]
    if annotation in (int, float):
        return [] if _bounded(metadata, finite=annotation is float) else [f"{where}: unbounded {annotation.__name__}"]
    return [f"{where}: {annotation!r} is not known to the edge"]


def _operations():
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield f"{','.join(operation.methods)} {prefix}{path}", operation


def test_every_api_input_field_goes_through_the_edge():
    problems = []
    for name, operation in _operations():
        for model in operation.models:
            problems += _unchecked(model, [], name)
    assert problems == []


def test_the_walk_sees_a_field_that_skips_the_edge():
    class Bad(BaseModel):
        note: str
        when: dt.date
        lat: float
        ids: list[schema.Text]

    assert _unchecked(Bad, [], "Bad") == [
        "Bad.note: str without core.schema.Text",
        "Bad.when: date without core.schema",
        "Bad.lat: unbounded float",
        "Bad.ids: list without max_length",
    ]


def test_the_api_schema_lists_every_status_code_each_operation_answers(world, client):
    client.force_login(world.office)
    paths = client.get("/api/schema/").json()["paths"]
    reads = {"200", "400", "401", "403", "404", "422", "429", "503"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = reads if method == "get" else reads | {"409", "413"}
            assert expected <= codes, (method, path, expected - codes)
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
