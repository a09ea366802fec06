"""Delivery through real loopback HTTP servers and Django's test mail backend: the exact payloads,
DingTalk's signature, the SMS gateway's form; failures retried with back-off, then dead, never
lost or doubled; robots throttled, not dropped; the office resends a dead letter."""

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import pytest
import time_machine
from django.core import mail

from conftest import SHANGHAI
from notifications import channels
from notifications.delivery import MAX_ATTEMPTS, deliver_due
from notifications.loopback import Stub
from notifications.models import Channel, Endpoint, Message
from notifications.services import endpoint_test, message_resend, notify

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def robot_world(world, settings):
    settings.SITE_URL = "https://cw.example.gov.cn"
    world.liaison_a.phone = "13800000001"
    world.liaison_a.save()
    return world


def tell(world, *, rule="assigned", source="problem:1:assign2", robots=True):
    return notify(
        rule=rule,
        source=source,
        recipients=[world.liaison_a],
        subject="问题交办：2026-000001，请于 2026年5月20日 前整改",
        body="幸福巷 · 3.2.1：巷口垃圾堆积",
        link="/problems/abc/",
        unit=world.unit_a,
        robots=robots,
    )


def test_wecom_robot_gets_text_with_the_link_and_mentions_by_mobile(robot_world):
    with Stub() as stub:
        endpoint = Endpoint.objects.create(
            kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url=f"{stub.url}/cgi-bin/webhook/send?key=K1"
        )
        tell(robot_world)
        assert deliver_due() == 1
    [request] = stub.received.requests
    assert request["path"] == "/cgi-bin/webhook/send" and request["query"] == {"key": "K1"}
    assert json.loads(request["raw"]) == {
        "msgtype": "text",
        "text": {
            "content": "问题交办：2026-000001，请于 2026年5月20日 前整改\n幸福巷 · 3.2.1：巷口垃圾堆积\n"
            "https://cw.example.gov.cn/problems/abc/",
            "mentioned_mobile_list": ["13800000001"],
        },
    }
    message = Message.objects.get(endpoint=endpoint)
    assert request["headers"]["X-Chuangwei-Message-Id"] == message.key
    assert (message.state, message.attempts, message.last_error) == ("sent", 1, "")


def test_dingtalk_robot_request_is_signed_with_timestamp_and_secret(robot_world):
    secret = "SEC0123456789abcdef"
    with Stub() as stub:
        Endpoint.objects.create(
            kind=Channel.DINGTALK,
            unit=robot_world.unit_a,
            name="东城钉钉群",
            url=f"{stub.url}/robot/send?access_token=T1",
            secret=secret,
        )
        tell(robot_world)
        assert deliver_due() == 1
    [request] = stub.received.requests
    timestamp = request["query"]["timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert request["query"]["access_token"] == "T1"
    assert request["query"]["sign"] == expected.decode()  # parse_qs undid the URL encoding
    body = json.loads(request["raw"])
    assert body["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    assert body["text"]["content"].startswith("问题交办：2026-000001")


def test_sms_gateway_gets_the_configured_form_and_a_text_within_its_length(robot_world):
    with Stub() as stub:
        Endpoint.objects.create(
            kind=Channel.SMS,
            name="政务短信平台",
            url=f"{stub.url}/sms/send",
            parameters={"account": "cw", "phones": "{mobile}", "content": "{text}", "serial": "{msgid}"},
            max_length=92,
        )
        tell(robot_world, robots=False)
        assert deliver_due() == 1
    [request] = stub.received.requests
    form = {k: v[0] for k, v in parse_qs(request["raw"].decode()).items()}
    assert form["account"] == "cw" and form["phones"] == "13800000001"
    assert form["serial"] == Message.objects.get(channel=Channel.SMS).key
    assert form["content"] == (
        "【创卫督查】问题交办：2026-000001，请于 2026年5月20日 前整改：幸福巷 · 3.2.…"
        " https://cw.example.gov.cn/problems/abc/"
    )
    assert len(form["content"]) == 92


def test_email_goes_through_djangos_backend_with_the_key_as_message_id(robot_world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    robot_world.liaison_a.email = "zhouxiao@example.gov.cn"
    robot_world.liaison_a.save()
    # Phone and e-mail, but no SMS gateway configured: the notification centre and the e-mail.
    inbox_message, email_message = sorted(tell(robot_world, robots=False), key=lambda m: m.channel != "inbox")
    assert deliver_due() == 1
    [sent] = mail.outbox
    assert sent.to == ["zhouxiao@example.gov.cn"]
    assert sent.subject == "[创卫督查] 问题交办：2026-000001，请于 2026年5月20日 前整改"
    assert "https://cw.example.gov.cn/problems/abc/" in sent.body
    assert sent.extra_headers["Message-ID"] == f"<{email_message.key.replace(':', '.')}@chuangwei>"
    assert inbox_message.channel == Channel.INBOX


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda r: (500, {"error": "boom"}), "对方返回 HTTP 500"),
        (lambda r: (200, {"errcode": 93000, "errmsg": "invalid webhook url"}), "机器人拒收：93000 invalid webhook url"),
        (lambda r: (2.0, (200, {"errcode": 0})), "1 秒内无应答"),
    ],
    ids=["http-500", "robot-refuses", "timeout"],
)
def test_a_failing_robot_is_retried_with_back_off_then_dead_never_doubled(robot_world, monkeypatch, answer, error):
    monkeypatch.setattr(channels, "TIMEOUT_SECONDS", 1)
    with Stub(answer) as stub, time_machine.travel(NOW, tick=False) as clock:
        Endpoint.objects.create(kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url=f"{stub.url}/w")
        tell(robot_world)
        waits = []
        for _ in range(MAX_ATTEMPTS):
            assert deliver_due() == 0
            message = Message.objects.get(channel=Channel.WECOM)
            waits.append(round((message.next_attempt_at - dt.datetime.now(tz=SHANGHAI)).total_seconds() / 60))
            assert deliver_due() == 0  # nothing due before the back-off ends
            clock.shift(dt.timedelta(hours=1))
    message = Message.objects.get(channel=Channel.WECOM)
    assert (message.state, message.attempts, message.last_error) == ("dead", MAX_ATTEMPTS, error)
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert Message.objects.filter(channel=Channel.WECOM).count() == 1
    # The notification centre had it all along: the fallback when every other channel fails.
    assert Message.objects.get(recipient=robot_world.liaison_a, channel=Channel.INBOX).state == "sent"


def test_a_refused_connection_is_a_failure_with_a_chinese_reason(robot_world):
    Endpoint.objects.create(kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url="http://127.0.0.1:9/w")
    tell(robot_world)
    deliver_due()
    message = Message.objects.get(channel=Channel.WECOM)
    assert message.state == "failed" and message.last_error.startswith("无法连接：")


def test_the_office_resends_a_dead_letter_and_it_goes(robot_world):
    replies = iter([(500, {})] * MAX_ATTEMPTS + [(200, {"errcode": 0})])
    with Stub(lambda r: next(replies)) as stub, time_machine.travel(NOW, tick=False) as clock:
        Endpoint.objects.create(kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url=f"{stub.url}/w")
        tell(robot_world)
        for _ in range(MAX_ATTEMPTS):
            deliver_due()
            clock.shift(dt.timedelta(hours=1))
        dead = Message.objects.get(channel=Channel.WECOM, state="dead")
        message_resend(actor=robot_world.office, message=dead)
        assert deliver_due() == 1
    assert Message.objects.get(pk=dead.pk).state == "sent"
    assert len(stub.received.requests) == MAX_ATTEMPTS + 1


def test_a_robot_takes_its_rate_and_the_rest_waits_for_the_next_minute(robot_world):
    with Stub() as stub, time_machine.travel(NOW, tick=False) as clock:
        Endpoint.objects.create(
            kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url=f"{stub.url}/w", per_minute=3
        )
        for n in range(5):
            tell(robot_world, source=f"problem:{n}:assign2")
        assert deliver_due() == 3
        waiting = Message.objects.filter(channel=Channel.WECOM, state="pending")
        assert waiting.count() == 2 and {m.attempts for m in waiting} == {0}
        assert deliver_due() == 0
        clock.shift(dt.timedelta(seconds=61))
        assert deliver_due() == 2
    assert len(stub.received.requests) == 5


def test_a_test_send_through_an_endpoint_is_logged_like_any_message(robot_world):
    with Stub() as stub:
        endpoint = Endpoint.objects.create(
            kind=Channel.WECOM, unit=robot_world.unit_a, name="东城群", url=f"{stub.url}/w"
        )
        message = endpoint_test(actor=robot_world.office, endpoint=endpoint)
        assert deliver_due() == 1
    assert json.loads(stub.received.requests[0]["raw"])["text"]["content"].startswith(
        "测试消息\n这是一条来自创卫督查的测试消息"
    )
    assert Message.objects.get(pk=message.pk).state == "sent"


def test_a_robots_key_is_shown_masked(robot_world):
    endpoint = Endpoint(
        kind=Channel.WECOM, name="x", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY"
    )
    assert "SECRET" not in endpoint.masked_url
    assert endpoint.masked_url.startswith("https://qyapi.weixin.qq.com/")
