"""The lists that grow with the campaign's life (plans, bulletins, accountability records) are
shown a page at a time: the page a person opens holds the same number of rows at any data size
(issue 14), the pager says where they are, and the next page holds the rest."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from bulletins import services as bulletin_services
from bulletins import views as bulletin_views
from conftest import TODAY
from inspections import views as inspection_views
from inspections.tests.helpers import make_plan, with_checklist

PER_PAGE = 2


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(bulletin_views, "PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(inspection_views, "PLANS_PER_PAGE", PER_PAGE)


def _pager(page: str) -> str | None:
    found = re.search(r"第 (\d+) / (\d+) 页", page)
    return found.group(0) if found else None


def test_the_plan_list_shows_a_page_newest_first_and_the_rest_on_the_next(client, world, small_pages):
    with_checklist(world)
    for day in range(3):
        make_plan(world, name=f"第{day + 1}轮暗访", starts_on=dt.date(2026, 5, 1) + dt.timedelta(days=day))
    client.force_login(world.office)

    first = client.get(reverse("inspections:plans")).content.decode()
    second = client.get(reverse("inspections:plans"), {"page": 2}).content.decode()

    assert re.findall(r"第\d轮暗访", first) == ["第3轮暗访", "第2轮暗访"]
    assert _pager(first) == "第 1 / 2 页"
    assert re.findall(r"第\d轮暗访", second) == ["第1轮暗访"]
    # Past the end, the last page (a link kept from yesterday still opens something).
    assert re.findall(r"第\d轮暗访", client.get(reverse("inspections:plans"), {"page": 9}).content.decode()) == [
        "第1轮暗访"
    ]


def test_the_bulletin_list_is_paged(client, world, small_pages):
    for month in (2, 3, 4):
        bulletin_services.bulletin_create(
            actor=world.office,
            campaign=world.campaign,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            title=f"{month}月督查通报",
        )
    client.force_login(world.office)

    first = client.get(reverse("bulletins:list")).content.decode()
    second = client.get(reverse("bulletins:list"), {"page": 2}).content.decode()

    assert re.findall(r"\d月督查通报", first) == ["4月督查通报", "3月督查通报"]
    assert _pager(first) == "第 1 / 2 页"
    assert re.findall(r"\d月督查通报", second) == ["2月督查通报"]


def test_the_accountability_list_is_paged(client, world, small_pages):
    for day in (1, 2, 3):
        bulletin_services.accountability_record(
            actor=world.office,
            campaign=world.campaign,
            unit=world.unit_a,
            measure="interview",
            reason=f"第{day}次约谈：整改不力",
            decided_on=TODAY.date() - dt.timedelta(days=10 - day),
        )
    client.force_login(world.office)

    first = client.get(reverse("bulletins:accountability")).content.decode()
    second = client.get(reverse("bulletins:accountability"), {"page": 2}).content.decode()

    assert re.findall(r"第\d次约谈", first) == ["第3次约谈", "第2次约谈"]
    assert _pager(first) == "第 1 / 2 页"
    assert re.findall(r"第\d次约谈", second) == ["第1次约谈"]
