"""One submit, one row in a real browser: static/js/once.js lets a double click send one request,
and a form that reads which button was pressed (the language switch) still gets it."""

import pytest
from playwright.sync_api import expect

from bulletins.models import Bulletin
from problems.tests.test_browser import sign_in

pytestmark = pytest.mark.browser


SEND_TWICE = """async () => {
  const form = document.querySelector('form[action="/bulletins/new/"]');
  const send = () => {
    const event = new SubmitEvent("submit", { bubbles: true, cancelable: true });
    form.dispatchEvent(event);
    return event.defaultPrevented;
  };
  const answers = [send(), send()];
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { prevented: answers, disabled: form.querySelector('button[type="submit"]').disabled };
}"""


def test_a_form_being_sent_cannot_be_sent_again(chromium, live_world):
    world = live_world
    page = sign_in(chromium, world, world.office)
    page.goto(f"{world.url}/bulletins/")
    # Submit events only, not a real submission: the second is cancelled, the button disabled.
    assert page.evaluate(SEND_TWICE) == {"prevented": [False, True], "disabled": True}

    page.goto(f"{world.url}/bulletins/")
    page.get_by_label("统计起始日期").fill("2026-05-01")
    page.get_by_label("统计截止日期").fill("2026-05-31")
    page.get_by_role("button", name="生成草稿").dblclick()
    expect(page.get_by_role("heading", name="省级卫生城市届满复审督查情况的通报", exact=False)).to_be_visible()
    assert Bulletin.objects.count() == 1


def test_the_pressed_button_is_still_sent(chromium, live_world):
    world = live_world
    page = sign_in(chromium, world, world.office)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
