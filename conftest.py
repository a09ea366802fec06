"""Fixed personas for every test, in the campaign's own cast (see docs/ARCHITECTURE.md, "Tests"):

- office: 王芳, PHC office staff; runs the campaign.
- office_viewer: PHC office member with the viewer role; sees all, changes nothing.
- leader: 区领导; sees all, read-only.
- inspector: 李强, supervision team, from the urban-management department (unit_b).
- head_a / deputy_a / liaison_a / viewer_a: the people of 东城街道 (unit_a), which owns the site.
- liaison_b: the urban-management department's liaison.
- outsider: signed in, belongs to no unit.
"""

import datetime as dt
import os
import zoneinfo
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.test import Client

from organisation.models import Area, Membership, Unit
from standard.models import Criterion
from tests import signin
from tests.factories import (
    AreaFactory,
    CampaignFactory,
    CriterionFactory,
    MembershipFactory,
    MilestoneFactory,
    SiteFactory,
    UnitFactory,
    UserFactory,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
Role = Membership.Role

# The tests' "today": mid-campaign, a Tuesday, before the covert visit.
TODAY = dt.datetime(2026, 5, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def _person(username, full_name, unit, role):
    user = UserFactory(username=username, full_name=full_name)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def world(db, frozen_today):
    return build_world()


@pytest.fixture
def live_world(transactional_db, live_server):
    """The same world for browser tests: committed rows (the live server runs in another
    thread) and a clock that ticks from TODAY, so the browser's waits still work."""
    with time_machine.travel(TODAY, tick=True):
        world = build_world()
        world.url = live_server.url
        yield world


def build_world():
    district = AreaFactory(code="D01", name="示范区", kind=Area.Kind.DISTRICT)
    east = AreaFactory(code="D01-01", name="东城街道", kind=Area.Kind.SUBDISTRICT, parent=district)
    community = AreaFactory(code="D01-01-01", name="花园社区", kind=Area.Kind.COMMUNITY, parent=east)
    office_unit = UnitFactory(code="PHC", name="区爱卫办", kind=Unit.Kind.PHC_OFFICE)
    leadership = UnitFactory(code="LEAD", name="区委区政府", kind=Unit.Kind.LEADERSHIP)
    unit_a = UnitFactory(
        code="SD01", name="东城街道办事处", short_name="东城街道", kind=Unit.Kind.SUBDISTRICT, area=east
    )
    unit_b = UnitFactory(code="DP01", name="区城市管理局", short_name="城管局", kind=Unit.Kind.DEPARTMENT)
    unit_c = UnitFactory(code="DP02", name="区市场监督管理局", short_name="市场监管局", kind=Unit.Kind.DEPARTMENT)

    campaign = CampaignFactory()
    category = CriterionFactory(
        standard=campaign.standard, level=Criterion.Level.CATEGORY, code="3", name="市容环境卫生"
    )
    criterion = CriterionFactory(
        standard=campaign.standard, level=Criterion.Level.CRITERION, code="3.2", name="背街小巷保洁", parent=category
    )
    checkpoint = CriterionFactory(standard=campaign.standard, code="3.2.1", name="路面无垃圾、无积水", parent=criterion)
    mobilisation = MilestoneFactory(campaign=campaign, name="动员部署", due_on=dt.date(2026, 3, 15))
    compliant = MilestoneFactory(campaign=campaign, name="全面达标", due_on=dt.date(2026, 4, 30))
    covert = MilestoneFactory(campaign=campaign, name="通过省级暗访", due_on=dt.date(2026, 6, 30))
    site = SiteFactory(code="BS-0001", name="幸福巷", area=community, owner_unit=unit_a)
    site_b = SiteFactory(code="BS-0002", name="建设路农贸市场", area=community, owner_unit=unit_b)

    return SimpleNamespace(
        district=district,
        east=east,
        community=community,
        office_unit=office_unit,
        leadership=leadership,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        campaign=campaign,
        category=category,
        criterion=criterion,
        checkpoint=checkpoint,
        mobilisation=mobilisation,
        compliant=compliant,
        covert=covert,
        site=site,
        site_b=site_b,
        office=_person("wangfang", "王芳", office_unit, Role.LIAISON),
        office_viewer=_person("office_viewer", "赵敏", office_unit, Role.VIEWER),
        leader=_person("leader", "张书记", leadership, Role.VIEWER),
        inspector=_person("liqiang", "李强", unit_b, Role.INSPECTOR),
        head_a=_person("head_a", "陈主任", unit_a, Role.HEAD),
        deputy_a=_person("deputy_a", "刘副主任", unit_a, Role.DEPUTY),
        liaison_a=_person("liaison_a", "周晓", unit_a, Role.LIAISON),
        viewer_a=_person("viewer_a", "孙阅", unit_a, Role.VIEWER),
        liaison_b=_person("liaison_b", "吴婷", unit_b, Role.LIAISON),
        outsider=UserFactory(username="outsider", full_name="路人"),
    )


def _flush_with_triggers_lifted():
    """The test database is built by the migrations, so the append-only tables refuse DELETE
    (core.trail). PostgreSQL's flush between transactional tests TRUNCATEs, which row triggers do
    not see; SQLite's deletes, so there the flush lifts the triggers as a DBA would."""
    from django.db import connection

    from tests.dba import triggers_off

    if connection.vendor != "sqlite":
        return
    operations = type(connection.ops)
    execute_sql_flush = operations.execute_sql_flush

    def flush(self, sql_list):
        with triggers_off(self.connection.alias):
            execute_sql_flush(self, sql_list)

    operations.execute_sql_flush = flush


_flush_with_triggers_lifted()


@pytest.fixture(autouse=True)
def force_login_is_a_whole_sign_in(monkeypatch):
    """`client.force_login(user)` stands for a finished sign-in, second factor included (see
    tests/signin.py); `tests.signin.force_login_unverified` is Django's own, for the tests of
    the sign-in steps."""
    monkeypatch.setattr(Client, "force_login", signin.force_login_verified)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: figures kept until the next transition are keyed by
    the trail's last event id, which SQLite hands out again after a test's rollback."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Evidence files land in a throw-away folder, not in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright (no browser download: intranets are isolated)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's guard against ORM calls
    # from async code would then refuse the tests' own database work.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()
        # While Playwright's loop runs in this thread, Django keeps the thread's connections
        # apart from its ordinary ones (asgiref takes a thread with a running loop for an async
        # context), and pytest-django's teardown sees only the ordinary ones. A connection opened
        # meanwhile and left open by a test that does not close its own (one using the database
        # without the db fixture, such as the demo tests' module fixture) would outlive the test
        # database, which PostgreSQL then refuses to drop. Close them while the loop still runs.
        connections.close_all()


@pytest.fixture
def screenshot():
    """Save a page's screenshot as a test artefact (test-artifacts/<name>.png)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
