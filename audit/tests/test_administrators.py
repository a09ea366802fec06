"""三员分立: the system, security and audit administrators, each with their own screens and
nothing else; what they change is in the security log with before and after; the audit
administrator reads and exports that log. The tables are the specification."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

import access
from core.models import SecurityEvent
from exchange.tests.helpers import kind_file
from organisation.models import Membership, Unit, User
from tests.factories import UserFactory

Kind = SecurityEvent.Kind


@pytest.fixture
def admins(world):
    world.sysadmin = UserFactory(username="sysadmin", full_name="系统管理员", is_staff=True, admin_role="system")
    world.secadmin = UserFactory(username="secadmin", full_name="安全管理员", is_staff=True, admin_role="security")
    world.auditor = UserFactory(username="auditor", full_name="审计管理员", is_staff=True, admin_role="audit")
    return world


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(world) -> dict[str, str]:
    return {
        "people": "/admin/organisation/user/",
        "a person": f"/admin/organisation/user/{world.liaison_a.pk}/change/",
        "roles": "/admin/organisation/membership/",
        "units": "/admin/organisation/unit/",
        "sites": "/admin/sites/site/",
        "standard": "/admin/standard/criterion/",
        "campaigns": "/admin/campaigns/campaign/",
        "api tokens": "/admin/accounts/apitoken/",
        "problems (data)": "/admin/problems/problem/",
        "security log": "/audit/log/",
        "problem list": "/problems/",
        "overview": "/overview/",
    }


SEES = {
    "sysadmin": {"people", "a person", "roles", "units", "sites", "standard", "campaigns"},
    "secadmin": {"people", "a person", "roles", "units", "api tokens"},
    "auditor": {"security log"},
    "office": {"problem list", "overview"},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_administrator_opens_only_their_own_screens(admins, who):
    client = client_for(getattr(admins, who))
    opened = {name for name, url in pages(admins).items() if client.get(url).status_code == 200}
    assert opened == SEES[who]


def test_an_administrator_sees_no_campaign_data_even_with_a_membership(admins):
    Membership.objects.create(user=admins.sysadmin, unit=admins.office_unit, role=Membership.Role.LIAISON)
    access.forget_actor(admins.sysadmin)
    actor = access.actor_for(admins.sysadmin)
    assert (actor.sees_all, actor.office, actor.unit_ids, actor.admin_role) == (False, False, frozenset(), "system")
    assert access.problems_visible_to(admins.sysadmin).count() == 0


def test_an_administrator_is_refused_on_the_campaign_s_screens_and_api(admins):
    for who in ("sysadmin", "secadmin", "auditor"):
        client = client_for(getattr(admins, who))
        assert [client.get(url).status_code for url in ("/problems/", "/ledger/", "/api/v1/me")] == [403, 403, 403]


def test_home_takes_each_administrator_to_their_screen(admins):
    assert client_for(admins.auditor).get("/").url == "/audit/log/"
    assert client_for(admins.sysadmin).get("/").url == "/admin/"
    assert client_for(admins.secadmin).get("/").url == "/admin/"


def inline_data(user, *rows, **fields) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "email": "",
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, (unit, role) in enumerate(rows):
        data[f"memberships-{index}-unit"] = unit.pk
        data[f"memberships-{index}-role"] = role
        data[f"memberships-{index}-user"] = user.pk
    return data


def test_only_the_security_administrator_grants_a_role_and_the_grant_is_logged(admins):
    url = f"/admin/organisation/user/{admins.outsider.pk}/change/"
    grant = inline_data(admins.outsider, (admins.unit_b, Membership.Role.INSPECTOR))
    client_for(admins.sysadmin).post(url, grant)
    assert not admins.outsider.memberships.exists()
    response = client_for(admins.secadmin).post(url, grant)
    assert response.status_code == 302
    assert list(admins.outsider.memberships.values_list("unit__code", "role")) == [("DP01", "inspector")]
    event = SecurityEvent.objects.get(kind=Kind.ROLE_CHANGE)
    assert (event.username, event.target, event.summary) == (
        "secadmin",
        f"organisation.user:{admins.outsider.pk}",
        "授予「路人」在「城管局」的角色：督导组成员",
    )


def test_an_administrator_account_cannot_be_given_a_campaign_role(admins):
    response = client_for(admins.secadmin).post(
        "/admin/organisation/membership/add/",
        {"user": admins.auditor.pk, "unit": admins.unit_a.pk, "role": Membership.Role.VIEWER},
    )
    assert "管理员账号不能同时担任业务角色" in response.content.decode()
    assert not admins.auditor.memberships.exists()


def unit_data(unit, **change) -> dict:
    data = {"code": unit.code, "name": unit.name, "short_name": unit.short_name, "kind": unit.kind}
    data["area"] = unit.area_id or ""
    data["is_active"] = "on"
    data.update(change)
    return data


def test_a_unit_s_kind_is_the_security_administrator_s_and_its_change_is_a_role_change(admins):
    url = f"/admin/organisation/unit/{admins.unit_a.pk}/change/"
    client_for(admins.sysadmin).post(url, unit_data(admins.unit_a, kind=Unit.Kind.PHC_OFFICE, name="东城街道办"))
    admins.unit_a.refresh_from_db()
    assert (admins.unit_a.kind, admins.unit_a.name) == ("subdistrict", "东城街道办")  # the name, not the kind
    client_for(admins.secadmin).post(url, unit_data(admins.unit_a, kind=Unit.Kind.DEPARTMENT))
    admins.unit_a.refresh_from_db()
    assert admins.unit_a.kind == "department"
    role_change = SecurityEvent.objects.get(kind=Kind.ROLE_CHANGE)
    assert role_change.username == "secadmin"
    assert role_change.details["changes"]["kind"] == {"before": "subdistrict", "after": "department"}


def test_a_configuration_change_is_logged_with_before_and_after(admins):
    site = admins.site
    client_for(admins.sysadmin).post(
        f"/admin/sites/site/{site.pk}/change/",
        {
            "code": site.code,
            "name": "幸福巷（东段）",
            "site_type": site.site_type_id,
            "area": site.area_id,
            "owner_unit": site.owner_unit_id,
            "address": site.address,
            "latitude": "",
            "longitude": "",
            "is_active": "on",
        },
    )
    event = SecurityEvent.objects.get(kind=Kind.CHANGE)
    assert (event.username, event.target) == ("sysadmin", f"sites.site:{site.pk}")
    assert event.details["changes"]["name"] == {"before": "幸福巷", "after": "幸福巷（东段）"}
    assert event.summary == "修改点位「幸福巷（东段）（BS-0001）」"


def test_an_import_cannot_grant_verification_rights_and_every_import_is_logged(admins):
    from exchange import imports

    result = imports.run_import(
        actor=admins.office,
        kind="people",
        file=kind_file("people", [["newbie", "新人", "", "SD01", "督导组成员"]]),
    )
    assert [e.message for e in result.errors] == ["「督导组成员」须由安全管理员在系统管理中授予，不能通过导入设置"]
    assert not User.objects.filter(username="newbie").exists()
    result = imports.run_import(
        actor=admins.office, kind="people", file=kind_file("people", [["newbie", "新人", "", "SD01", "联络员"]])
    )
    assert result.ok
    logged = list(SecurityEvent.objects.order_by("id").values_list("kind", "username", "summary"))
    assert logged == [
        ("import", "wangfang", "导入人员被拒绝：1 处错误"),
        ("role_change", "wangfang", "导入授予「newbie」联络员（单位 " + str(admins.unit_a.pk) + "）"),
        ("import", "wangfang", "导入人员：1 行"),
    ]


def test_refusals_and_exports_are_in_the_log(admins):
    liaison = client_for(admins.liaison_b)
    assert liaison.get(f"/units/{admins.unit_a.code}/").status_code == 404
    assert liaison.get("/overview/").status_code == 403
    office = client_for(admins.office)
    assert office.get("/exchange/problems.xlsx").status_code == 200
    rows = list(SecurityEvent.objects.order_by("id").values_list("kind", "username", "path", "details"))
    assert rows == [
        ("refused", "liaison_b", f"/units/{admins.unit_a.code}/", {"status": 404, "method": "GET"}),
        ("refused", "liaison_b", "/overview/", {"status": 403, "method": "GET"}),
        ("export", "wangfang", "/exchange/problems.xlsx", {"rows": 0, "filters": {}}),
    ]


def test_the_audit_administrator_filters_and_exports_the_log_and_the_export_is_logged(admins):
    client_for(admins.liaison_b).get("/overview/")
    client_for(admins.office).get("/exchange/problems.xlsx")
    auditor = client_for(admins.auditor)
    page = auditor.get("/audit/log/?kind=refused")
    assert [event.username for event in page.context["page"]] == ["liaison_b"]
    assert "被拒绝（403）" in page.content.decode()
    response = auditor.get("/audit/log.xlsx?username=wangfang")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "类型", "用户名", "IP 地址", "地址", "对象", "摘要")
    assert [(r[1], r[2], r[6]) for r in rows[1:]] == [("导出", "wangfang", "导出问题清单 0 行")]
    last = SecurityEvent.objects.order_by("-id").first()
    assert (last.kind, last.username, last.summary) == ("export", "auditor", "导出安全审计日志 1 行")


@pytest.mark.parametrize("who", ["office", "leader", "sysadmin", "secadmin", "outsider"])
def test_nobody_but_the_audit_administrator_reads_the_log(admins, who):
    client = client_for(getattr(admins, who))
    assert client.get("/audit/log/").status_code == 403
    assert client.get("/audit/log.xlsx").status_code == 403


def test_only_the_system_administrator_adds_people_and_units(admins):
    adds = ["/admin/organisation/user/add/", "/admin/organisation/unit/add/"]
    assert [client_for(admins.sysadmin).get(url).status_code for url in adds] == [200, 200]
    assert [client_for(admins.secadmin).get(url).status_code for url in adds] == [403, 403]
