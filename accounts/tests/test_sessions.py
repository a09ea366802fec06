"""A session ends after 30 minutes without a request and 12 hours after signing in, whatever
happens; sign-in and sign-out are logged. (The test settings switch the timeouts off because
other tests move the clock by days; these switch them on.)"""

import datetime as dt
import importlib

import pytest

from core.models import SecurityEvent
from tests.signin import PASSWORD, own_password

Kind = SecurityEvent.Kind


@pytest.fixture
def timeouts(settings):
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=30)
    settings.SESSION_ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)


def test_the_defaults_are_thirty_minutes_and_twelve_hours(monkeypatch):
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS"):
        monkeypatch.delenv(name, raising=False)
    defaults = importlib.reload(importlib.import_module("config.settings"))
    assert (defaults.SESSION_IDLE_TIMEOUT, defaults.SESSION_ABSOLUTE_TIMEOUT) == (
        dt.timedelta(minutes=30),
        dt.timedelta(hours=12),
    )
    assert defaults.SESSION_COOKIE_AGE == 12 * 3600


def test_thirty_minutes_without_a_request_sign_the_person_out(client, world, frozen_today, timeouts):
    client.force_login(world.liaison_a)
    frozen_today.shift(dt.timedelta(minutes=29))
    assert client.get("/ledger/").status_code == 200
    frozen_today.shift(dt.timedelta(minutes=29))  # 58 minutes signed in, 29 idle
    assert client.get("/ledger/").status_code == 200
    frozen_today.shift(dt.timedelta(minutes=31))
    response = client.get("/ledger/")
    assert response.url == "/accounts/login/?next=/ledger/"
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "您已超过 30 分钟未操作，为安全起见已自动退出，请重新登录。" in page
    (event,) = SecurityEvent.objects.all()
    assert (event.kind, event.user, event.summary, event.path) == (
        Kind.SESSION_EXPIRED,
        world.liaison_a,
        "超过 30 分钟未操作，会话结束",
        "/ledger/",
    )
    assert event.details == {"reason": "idle", "idle_minutes": 30, "max_hours": 12}


def test_twelve_hours_after_signing_in_the_session_ends_however_busy(client, world, frozen_today, timeouts):
    client.force_login(world.liaison_a)
    for _ in range(12 * 3 - 1):
        frozen_today.shift(dt.timedelta(minutes=20))
        assert client.get("/ledger/").status_code == 200
    frozen_today.shift(dt.timedelta(minutes=21))
    assert client.get("/ledger/").status_code == 302
    assert "本次登录已满 12 小时，为安全起见已自动退出，请重新登录。" in client.get("/accounts/login/").content.decode()
    assert [(e.kind, e.summary) for e in SecurityEvent.objects.all()] == [
        (Kind.SESSION_EXPIRED, "登录已满 12 小时，会话结束")
    ]


def test_the_api_on_an_expired_session_answers_401(client, world, frozen_today, timeouts):
    client.force_login(world.inspector)
    assert client.get("/api/v1/me").status_code == 200
    frozen_today.shift(dt.timedelta(minutes=31))
    assert client.get("/api/v1/me").status_code == 401


def test_signing_in_and_out_is_logged(client, world):
    own_password(world.liaison_a)
    response = client.post("/accounts/login/", {"username": "liaison_a", "password": PASSWORD}, REMOTE_ADDR="10.6.6.6")
    assert response.url == "/"
    client.post("/accounts/logout/", REMOTE_ADDR="10.6.6.6")
    assert client.get("/ledger/").status_code == 302
    rows = [(e.kind, e.user, e.ip, e.summary) for e in SecurityEvent.objects.order_by("id")]
    assert rows == [
        (Kind.LOGIN, world.liaison_a, "10.6.6.6", "登录成功"),
        (Kind.LOGOUT, world.liaison_a, "10.6.6.6", "退出登录"),
    ]
