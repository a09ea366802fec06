"""What a draft bulletin says beyond the figures: 督查概况 from the period's inspection plans, 存在问题
by area of the standard, 上期问题整改情况, and the note on covert findings left out."""

import datetime as dt
import subprocess
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from bulletins import content, services
from bulletins.models import Accountability
from bulletins.render import TEXT_BOTTOM_PT, render_pdf
from core.errors import IllegalTransition
from documents.pdf import last_word_bottom
from inspections import services as inspection_services
from inspections.models import InspectionPlan
from inspections.tests.helpers import drawn_plan, record_finding, submit, with_checklist
from problems.models import Problem
from problems.tests.helpers import assigned_problem, closed_problem

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)


def draft(world, start=START, end=END):
    return services.bulletin_create(actor=world.office, campaign=world.campaign, period_start=start, period_end=end)


@pytest.fixture
def inspected(world, frozen_today):
    """An open plan with one inspection (one checkpoint failed, one passed), and a covert plan
    whose results are not published."""
    with_checklist(world)
    plan = drawn_plan(world, mode=InspectionPlan.Mode.OPEN, name="五月明查")
    submit(world, plan)
    drawn_plan(world, name="五月暗访")
    return plan


def test_the_overview_is_drafted_from_the_periods_inspection_plans(world, inspected):
    bulletin = draft(world)
    assert bulletin.overview == (
        "本期区爱卫办组织开展督查1轮（明查1轮、暗访0轮），时间为2026年5月12日至2026年5月18日，"
        "范围覆盖东城街道，共抽取点位2个（背街小巷2个）。督导组由2个单位2名同志组成，"
        "共完成现场检查1次，检查要点合格率50%。"
    )
    # It is the draft's text: the office may change it, and the document says what they wrote.
    services.bulletin_edit(
        actor=world.office,
        bulletin=bulletin,
        title=bulletin.title,
        lead=bulletin.lead,
        closing=bulletin.closing,
        criticise_overdue_at=3,
        overview="本期督查共1轮。\n重点检查背街小巷。",
    )
    bulletin.refresh_from_db()
    assert services.bulletin_content_now(bulletin)["overview"] == ["本期督查共1轮。", "重点检查背街小巷。"]


def test_a_covert_plan_counts_once_its_results_are_published(world, inspected):
    covert = InspectionPlan.objects.get(name="五月暗访")
    inspection_services.plan_publish(actor=world.office, plan=covert)
    assert "督查2轮（明查1轮、暗访1轮）" in draft(world).overview


def test_no_plan_in_the_period_leaves_the_overview_empty(world, inspected):
    assert draft(world, dt.date(2026, 4, 1), dt.date(2026, 4, 30)).overview == ""


def test_problems_are_grouped_by_area_of_the_standard_with_examples(world, frozen_today):
    for text in ("巷口垃圾堆积", "墙面乱贴乱画", "路面积水", "绿化带内有建筑垃圾"):
        assigned_problem(world, description=text)
    issues = services.bulletin_content_now(draft(world))["issues"]
    assert len(issues) == 1
    group = issues[0]
    assert (group["code"], group["name"], group["count"]) == ("3", "市容环境卫生", 4)
    assert len(group["examples"]) == 3
    assert all(example.startswith("幸福巷") for example in group["examples"])


def test_the_previous_periods_problems_are_followed_up(world, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 4, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    closed_problem(world)
    assigned_problem(world, deadline=dt.date(2026, 4, 20))
    assigned_problem(world, deadline=dt.date(2026, 6, 20))
    frozen_today.move_to(dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    april = draft(world, dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert Problem.objects.count() == 3
    may = services.bulletin_content_now(draft(world))
    assert may["previous"] == (
        "上期（2026年4月1日至2026年4月30日）发现的3个问题，截至2026年5月20日已整改销号1个，"
        "尚未销号2个，其中逾期未整改1个，请责任单位抓紧整改。"
    )
    assert content.previous_period(april) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_the_draft_screen_names_the_covert_findings_left_out(client, world, frozen_today):
    with_checklist(world)
    plan = drawn_plan(world)
    record_finding(world, submit(world, plan))
    bulletin = draft(world)
    client.force_login(world.office)
    page = client.get(reverse("bulletins:detail", args=[bulletin.uuid])).content.decode()
    assert "不含暗访尚未公布的问题1个" in page
    # Not in the document: its Word file says nothing of it.
    assert "暗访尚未公布" not in str(services.bulletin_content_now(bulletin))


# ---- 问责 from the criticised units ---------------------------------------------------------------


@pytest.fixture
def criticising(world, frozen_today):
    """A May draft criticising 东城街道 (two overdue) and 城管局 (one), from one overdue problem up."""
    overdue = [assigned_problem(world, deadline=dt.date(2026, 5, 14)) for _ in range(2)]
    overdue.append(assigned_problem(world, unit=world.unit_b, site=world.site_b, deadline=dt.date(2026, 5, 14)))
    assigned_problem(world, deadline=dt.date(2026, 6, 14))  # not overdue: not linked
    frozen_today.move_to(dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    bulletin = services.bulletin_create(
        actor=world.office, campaign=world.campaign, period_start=START, period_end=END, criticise_overdue_at=1
    )
    return bulletin, overdue


def test_the_criticised_units_become_accountability_records_in_one_confirmed_step(client, world, criticising):
    bulletin, overdue = criticising
    client.force_login(world.office)
    page = client.get(reverse("bulletins:detail", args=[bulletin.uuid])).content.decode()
    assert "对通报批评的单位记录问责" in page and "确认为以上每个单位各记录一条问责" in page
    url = reverse("bulletins:accountability_from", args=[bulletin.uuid])

    # Not confirmed: nothing is recorded.
    response = client.post(url, {"measure": "criticism", "decided_on": "2026-05-20"}, follow=True)
    assert Accountability.objects.count() == 0
    assert [str(m) for m in response.context["messages"]] == ["这个字段是必填项。"]

    form = {"measure": "interview", "decided_on": "2026-05-20", "confirm": "on", "submit_key": str(uuid.uuid4())}
    response = client.post(url, form, follow=True)
    assert "已记录问责 2 条" in response.content.decode()
    records = {a.unit: a for a in Accountability.objects.prefetch_related("problems", "events")}
    assert set(records) == {world.unit_a, world.unit_b}
    east = records[world.unit_a]
    assert (east.measure, east.decided_on, east.recorded_by) == ("interview", dt.date(2026, 5, 20), world.office)
    assert east.reason == f"{bulletin.title}：逾期未整改问题2个，被退回返工0次"
    assert set(east.problems.all()) == set(overdue[:2])
    assert set(records[world.unit_b].problems.all()) == {overdue[2]}
    # Audited: each record's trail names who, and the bulletin it came from.
    (event,) = east.events.all()
    assert (event.actor, event.note) == (world.office, f"由通报草稿「{bulletin.title}」的通报批评名单生成")

    # The same form posted again (a double click) records nothing more.
    client.post(url, form)
    assert Accountability.objects.count() == 2


@pytest.mark.parametrize("persona", ["leader", "inspector", "liaison_a"])
def test_only_the_office_records_accountability_from_a_draft(client, world, criticising, persona):
    bulletin, _overdue = criticising
    client.force_login(getattr(world, persona))
    url = reverse("bulletins:accountability_from", args=[bulletin.uuid])
    response = client.post(url, {"measure": "criticism", "decided_on": "2026-05-20", "confirm": "on"})
    assert response.status_code in (403, 404)
    assert Accountability.objects.count() == 0


def test_a_published_bulletin_does_not_record_accountability_in_bulk(world, criticising):
    bulletin, _overdue = criticising
    bulletin = services.bulletin_publish(actor=world.office, bulletin=bulletin)
    with pytest.raises(IllegalTransition):
        services.accountability_from_bulletin(
            actor=world.office, bulletin=bulletin, measure="criticism", decided_on=dt.date(2026, 5, 20)
        )
    assert Accountability.objects.count() == 0


def test_the_rendered_bulletin_carries_the_new_sections(world, inspected, frozen_today, tmp_path):
    """Renders the PDF (test-artifacts/bulletin-content-*.png, to be looked at)."""
    frozen_today.move_to(dt.datetime(2026, 4, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    closed_problem(world)
    assigned_problem(world, deadline=dt.date(2026, 4, 20))
    frozen_today.move_to(dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    for text in ("巷口垃圾堆积", "墙面乱贴乱画"):
        assigned_problem(world, description=text)
    bulletin = draft(world)
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(render_pdf(services.bulletin_content_now(bulletin)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    flat = "".join(text.split())
    assert "一、督查概况" in flat and "本期区爱卫办组织开展督查1轮（明查1轮、暗访0轮）" in flat
    assert "二、存在问题" in flat and "（一）市容环境卫生（2个）" in flat
    assert "上期问题整改情况" in flat and "已整改销号1个，尚未销号1个，其中逾期未整改1个" in flat
    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts / "bulletin-content")], check=True)
    # The 版记 sits at the foot of the last page: its 印发 line ends a few points above the text
    # area's lower edge, where LibreOffice alone would have left it under the 落款.
    bottom = last_word_bottom(pdf.read_bytes(), "印发")
    assert bottom is not None and TEXT_BOTTOM_PT - 24 <= bottom <= TEXT_BOTTOM_PT, bottom
