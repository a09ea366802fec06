"""The checklist as inspectors found it (issue 12), on a phone in a real browser: after the failed
checkpoints, one tap (其余合格) passes every checkpoint not yet answered; once the record is sent,
its result page names the problems it made, linked, and the rebounds among them."""

import re

import pytest
from playwright.sync_api import expect

from inspections.models import CheckResult
from inspections.tests.helpers import drawn_plan, jpeg_with_gps, with_checklist
from inspections.tests.test_browser_sync import new_phone
from problems.models import Problem
from problems.tests.helpers import closed_problem
from tests.factories import CriterionFactory
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser


def test_the_rest_pass_in_one_tap_and_the_result_names_the_problems(chromium, live_world, tmp_path, screenshot):
    world = with_checklist(live_world)
    world.checkpoint_3 = CriterionFactory(
        standard=world.campaign.standard, code="3.2.3", name="墙面无乱张贴", parent=world.criterion, position=3
    )
    world.checkpoint_4 = CriterionFactory(
        standard=world.campaign.standard, code="3.2.4", name="沟渠无淤积", parent=world.criterion, position=4
    )
    world.site.site_type.checkpoints.add(world.checkpoint_3, world.checkpoint_4)
    earlier = closed_problem(world)  # 幸福巷, 3.2.1: closed, so a new failure there is a rebound
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0001/")
    page.wait_for_function("window.cwInspect !== undefined")

    def box(checkpoint):
        return page.locator(f'fieldset[data-checkpoint="{checkpoint.pk}"]')

    for n, checkpoint in enumerate((world.checkpoint, world.checkpoint_3)):
        box(checkpoint).get_by_text("不合格", exact=True).click()
        box(checkpoint).get_by_label("问题描述").fill(f"{checkpoint.name}：不达标")
        photo = tmp_path / f"IMG_{n}.jpg"
        photo.write_bytes(jpeg_with_gps(1200, 900))
        box(checkpoint).locator('input[type="file"]').set_input_files(str(photo))
        expect(box(checkpoint).locator(".cw-previews img")).to_have_count(1)
    page.get_by_role("button", name="其余合格").click()
    for checkpoint in (world.checkpoint_2, world.checkpoint_4):
        expect(box(checkpoint).get_by_label("合格", exact=True)).to_be_checked()
    # The answers given stay as they were.
    expect(box(world.checkpoint).get_by_label("不合格", exact=True)).to_be_checked()
    expect(box(world.checkpoint_3).get_by_label("不合格", exact=True)).to_be_checked()
    screenshot(page, "checklist-rest-pass-phone")
    page.get_by_role("button", name="提交检查记录").click()

    expect(page.locator("#cw-flash")).to_have_text("「幸福巷」检查记录已提交")
    page.get_by_role("link", name="查看检查结果").click()
    rebound = Problem.objects.get(rebound_of=earlier)
    new = Problem.objects.exclude(pk__in=[earlier.pk, rebound.pk]).get()
    summary = page.get_by_role("region", name=re.compile("本次检查登记问题"))
    expect(summary.get_by_role("heading")).to_have_text("本次检查登记问题 2 个，其中反弹 1 个")
    expect(summary.get_by_role("listitem").filter(has_text=rebound.number)).to_contain_text("反弹")
    expect(summary.get_by_role("listitem").filter(has_text=new.number)).not_to_contain_text("反弹")
    screenshot(page, "inspection-result-phone")
    summary.get_by_role("link", name=new.number).click()
    expect(page).to_have_url(re.compile(str(new.uuid)))
    assert sorted(CheckResult.objects.values_list("result", flat=True)) == ["fail", "fail", "pass", "pass"]
    context.close()
