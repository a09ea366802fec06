"""The screens: everyone's notification centre with its unread count, their preferences; the
office's delivery log with resend, channels with masked keys and a test send, the rules."""

import pytest
from django.urls import reverse

from core.models import SecurityEvent
from notifications.models import Channel, Endpoint, Message, RuleSetting
from problems.tests.helpers import assigned_problem


def page(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def test_the_liaison_sees_the_unread_count_reads_the_message_and_the_count_goes(client, world):
    problem = assigned_problem(world)
    client.force_login(world.liaison_a)
    home = client.get(reverse("problems:mine")).content.decode()
    assert 'data-testid="unread">1</span>' in home
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert f"问题交办：{problem.number}，请于 2026年5月20日 前整改" in inbox
    assert f'href="/problems/{problem.uuid}/"' in inbox
    client.post(reverse("notifications:inbox"))
    assert 'data-testid="unread"' not in client.get(reverse("problems:mine")).content.decode()
    assert Message.objects.get(recipient=world.liaison_a).read_at is not None


def test_a_person_marks_only_their_own_messages_read(client, world):
    assigned_problem(world)
    theirs = Message.objects.get(recipient=world.liaison_a)
    client.force_login(world.liaison_b)
    client.post(reverse("notifications:inbox"), {"message": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_refuse_sms_without_a_phone_in_chinese(client, world):
    client.force_login(world.liaison_a)
    response = client.post(reverse("notifications:preferences"), {"channels": ["sms"]})
    assert "您的账号没有手机号，不能选择短信，请联系系统管理员补充" in response.content.decode()
    world.liaison_a.phone = "13800000001"
    world.liaison_a.save()
    client.post(reverse("notifications:preferences"), {"channels": ["sms"]})
    assert world.liaison_a.notice_preference.channels == ["sms"]


@pytest.mark.parametrize("name", ["notifications:log", "notifications:endpoints", "notifications:rules"])
def test_the_office_screens_are_the_offices(client, world, name):
    assert page(client, world.office, name).status_code == 200
    for person in (world.liaison_a, world.inspector, world.leader, world.head_a):
        assert page(client, person, name).status_code == 403


def test_the_delivery_log_shows_a_dead_letter_with_its_reason_and_resends_it(client, world):
    Endpoint.objects.create(kind=Channel.WECOM, unit=world.unit_a, name="东城群", url="http://127.0.0.1:9/w")
    assigned_problem(world)
    Message.objects.filter(channel=Channel.WECOM).update(state="dead", attempts=6, last_error="对方返回 HTTP 500")
    body = page(client, world.office, "notifications:log", state="dead").content.decode()
    assert "发送失败" in body and "对方返回 HTTP 500" in body and "东城群" in body
    dead = Message.objects.get(channel=Channel.WECOM)
    client.post(reverse("notifications:resend", args=[dead.pk]), {"next": "https://evil.example/"})
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("pending", 0)


def test_a_robots_key_never_comes_back_to_the_page_and_an_empty_field_keeps_it(client, world):
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-SECRET"
    client.force_login(world.office)
    response = client.post(
        reverse("notifications:endpoints"),
        {
            "kind": "wecom",
            "unit": world.unit_a.pk,
            "name": "东城群",
            "url": url,
            "parameters": "{}",
            "max_length": 300,
            "per_minute": 20,
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    edit = client.get(reverse("notifications:endpoint", args=[endpoint.pk])).content.decode()
    assert "SECRET" not in edit and "693a91f6" not in edit
    client.post(
        reverse("notifications:endpoint", args=[endpoint.pk]),
        {
            "kind": "wecom",
            "unit": world.unit_a.pk,
            "name": "东城街道群",
            "url": "",
            "parameters": "{}",
            "max_length": 300,
            "per_minute": 20,
            "enabled": "on",
        },
    )
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url) == ("东城街道群", url)
    logged = SecurityEvent.objects.filter(kind="change", target__startswith="发送渠道")
    assert logged.count() == 2 and not any("SECRET" in str(e.details) for e in logged)


def test_a_robot_without_a_unit_is_refused(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("notifications:endpoints"),
        {
            "kind": "wecom",
            "name": "无主群",
            "url": "https://example.gov.cn/hook",
            "parameters": "{}",
            "max_length": 300,
            "per_minute": 20,
        },
    )
    assert "群机器人须属于一个单位" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_office_changes_a_rule_on_its_screen_and_the_change_is_logged(client, world):
    client.force_login(world.office)
    client.post(
        reverse("notifications:rules"),
        {"rule": "overdue", "overdue-enabled": "on", "overdue-days": "2", "overdue-channels": ["sms"]},
    )
    setting = RuleSetting.objects.get(rule="overdue")
    assert (setting.enabled, setting.days, setting.channels, setting.changed_by) == (True, 2, ["sms"], world.office)
    assert SecurityEvent.objects.filter(kind="change", target="通知规则 overdue").exists()
    body = client.get(reverse("notifications:rules")).content.decode()
    assert 'name="overdue-days" value="2"' in body


def test_a_channel_form_sent_twice_makes_one_channel(client, world):
    client.force_login(world.office)
    data = {
        "kind": "dingtalk",
        "unit": world.unit_a.pk,
        "name": "东城钉钉群",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=T",
        "parameters": "{}",
        "max_length": 300,
        "per_minute": 20,
        "enabled": "on",
    }
    assert client.post(reverse("notifications:endpoints"), data).status_code == 302
    again = client.post(reverse("notifications:endpoints"), data)
    assert again.status_code == 200 and "该单位已有同名的发送渠道" in again.content.decode()
    assert Endpoint.objects.count() == 1


def test_the_badge_shows_99_plus_beyond_ninety_nine_unread(client, world):
    from core import clock
    from notifications.models import Channel

    now = clock.now()
    Message.objects.bulk_create(
        Message(
            recipient=world.liaison_a, channel=Channel.INBOX, rule="test", source="test", subject=f"提醒 {n}",
            body="", key=f"test:{n}", next_attempt_at=now, created_at=now,
        )
        for n in range(100)
    )  # fmt: skip
    client.force_login(world.liaison_a)
    page = client.get(reverse("problems:mine")).content.decode()
    assert 'data-testid="unread">99+</span>' in page
    Message.objects.filter(recipient=world.liaison_a, key="test:0").update(read_at=now)
    assert 'data-testid="unread">99</span>' in client.get(reverse("problems:mine")).content.decode()
