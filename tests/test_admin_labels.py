"""The administration screens in the users' language (issue 12): every field of our models that
/admin/ can show has a Chinese label (the 任职 inline's column read "UNIT"), and the people list
says who belongs to which unit in which role, with filters for both."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from organisation.models import Membership
from tests.factories import UserFactory

CJK = re.compile(r"[\u4e00-\u9fff]")
# Ours: the project's apps. A third-party model registered by its own package (the task queue's
# results) keeps its package's labels.
OURS = {config.label for config in apps.get_app_configs() if not config.path.count("site-packages")}


def test_every_field_our_admin_can_show_has_a_chinese_label():
    untranslated = [
        f"{model._meta.label}.{field.name}: {field.verbose_name}"
        for model in admin.site._registry
        if model._meta.app_label in OURS
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and not field.auto_created and not CJK.search(str(field.verbose_name))
    ]
    assert untranslated == []


def test_every_computed_column_has_a_chinese_heading():
    headings = [
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OURS
        for name in model_admin.list_display
        if callable(getattr(model_admin, name, None))
        and not CJK.search(str(getattr(getattr(model_admin, name), "short_description", "")))
    ]
    assert headings == []


@pytest.fixture
def sysadmin(world):
    return UserFactory(username="sysadmin", full_name="系统管理员", is_staff=True, admin_role="system")


def test_the_people_list_shows_unit_and_role_and_filters_by_them(world, sysadmin):
    client = Client()
    client.force_login(sysadmin)
    page = client.get("/admin/organisation/user/").content.decode()
    row = page[page.index(">head_a<") :]
    row = row[: row.index("</tr>")]
    assert ">东城街道<" in row and "一把手（第一责任人）" in row
    # The filters: by role and by unit.
    assert "?memberships__role__exact=head" in page
    assert f"?memberships__unit__id__exact={world.unit_a.pk}" in page
    filtered = client.get("/admin/organisation/user/", {"memberships__role__exact": Membership.Role.HEAD})
    people = filtered.content.decode()
    assert ">head_a<" in people and ">liaison_a<" not in people


def test_the_roles_inline_has_chinese_column_headings(world, sysadmin):
    client = Client()
    client.force_login(sysadmin)
    page = client.get(f"/admin/organisation/user/{world.head_a.pk}/change/").content.decode()
    inline = page[page.index('id="memberships-group"') :]
    headings = re.findall(r'<th class="column-(\w+)[^"]*">\s*([^<]+?)\s*<', inline)
    assert dict(headings) == {"unit": "单位", "role": "角色"}
