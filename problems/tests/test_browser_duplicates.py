"""Duplicates in a real browser (issue 15): the office's record form shows the open problems of
the chosen criterion at the site and nearby as soon as site and criterion are chosen (htmx), and
a report linked to one of them makes no new number; a problem merged into another says so on
both pages. Screenshots at 1280x800 and 390x844 go to /tmp/shots/dupes/."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from problems.models import Problem
from problems.tests.helpers import assigned_problem, recorded_problem
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/dupes")
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _open(chromium, world, user, **options):
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    browser_sign_in(page, world.url, user)
    return context, page, refused


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("size", "options"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_record_form_shows_the_candidates_and_links_a_report_to_one(chromium, live_world, size, options):
    world = live_world
    # 幸福巷's problem, given to 东城街道; and one at 建设路农贸市场, which stands at the same point.
    here = assigned_problem(world, description="巷口垃圾堆积，垃圾桶满溢")
    nearby = recorded_problem(world, site=world.site_b, description="市场门口垃圾未清运")
    context, page, refused = _open(chromium, world, world.office, **options)
    page.goto(world.url + reverse("problems:list"))
    page.get_by_role("link", name="登记问题").click()
    expect(page.get_by_role("heading", name="登记问题")).to_be_visible()
    expect(page.get_by_test_id("duplicates")).to_have_count(0)

    page.get_by_label("点位").select_option(str(world.site.pk))
    page.get_by_label("标准条目").select_option(str(world.checkpoint.pk))
    candidates = page.get_by_test_id("duplicates")
    expect(candidates).to_be_visible()
    expect(candidates).to_contain_text("已有 2 个疑似重复的未办结问题")
    expect(candidates.get_by_label(f"记为已有问题 {here.number} 的重复")).to_be_visible()
    expect(candidates).to_contain_text("同一点位")
    expect(candidates.get_by_label(f"记为已有问题 {nearby.number} 的重复")).to_be_visible()
    expect(candidates).to_contain_text("相距约 0 米")
    page.get_by_label("问题描述").fill("领导交办：巷口垃圾又堆起来了")
    _shot(page, f"record-candidates-{size}")

    candidates.get_by_label(f"记为已有问题 {here.number} 的重复").check()
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text(f"已记为问题 {here.number} 的重复（再次发现），未新建编号")).to_be_visible()
    expect(page.get_by_role("heading", name=f"问题 {here.number}")).to_be_visible()
    expect(page.locator(".cw-timeline")).to_contain_text("领导交办：巷口垃圾又堆起来了")
    assert Problem.objects.count() == 2
    assert not [text for text in refused if "Content Security Policy" in text], refused
    context.close()


def test_recording_anyway_and_merging_afterwards(chromium, live_world):
    world = live_world
    survivor = assigned_problem(world, description="巷口垃圾堆积，垃圾桶满溢")
    context, page, refused = _open(chromium, world, world.office, **DESKTOP)
    page.goto(world.url + reverse("problems:new"))
    page.get_by_label("点位").select_option(str(world.site.pk))
    page.get_by_label("标准条目").select_option(str(world.checkpoint.pk))
    page.get_by_label("问题描述").fill("群众来电：幸福巷口有垃圾")
    page.get_by_label("仍然新建（记为疑似重复，待爱卫办核定）").check()
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("已登记问题 2026-000002")).to_be_visible()
    expect(page.get_by_test_id("resembles")).to_have_text(f"疑似重复（相似问题 {survivor.number}）")

    # The office merges it: the form proposes the problem it resembles.
    merge = page.locator("form[action$='/merge/']")
    expect(merge.get_by_label("合并到问题（编号）")).to_have_value(survivor.number)
    merge.get_by_label("合并理由").fill("同一处垃圾，群众来电与领导交办为同一问题")
    merge.get_by_role("button", name="合并").click()
    expect(page.get_by_text("问题 2026-000002：已合并")).to_be_visible()
    expect(page.get_by_test_id("merged-into")).to_contain_text(f"本问题已作为重复问题合并到问题 {survivor.number}")
    _shot(page, "merged-problem-desktop")
    page.get_by_test_id("merged-into").get_by_role("link").click()
    expect(page.get_by_test_id("merged-ones")).to_contain_text("2026-000002")
    expect(page.locator(".cw-timeline")).to_contain_text("问题 2026-000002 作为重复问题并入本问题")
    _shot(page, "survivor-after-merge-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "survivor-after-merge-phone")
    assert not [text for text in refused if "Content Security Policy" in text], refused
    context.close()
