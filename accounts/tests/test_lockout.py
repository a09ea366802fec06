"""Lockout after failed sign-ins, per account and per address, for the form and for API tokens;
unlock by the security administrator; each step in the security log."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from accounts.services import token_create
from core.models import SecurityEvent
from organisation.models import User
from tests.factories import UserFactory
from tests.signin import PASSWORD, own_password

Kind = SecurityEvent.Kind
LOGIN = "/accounts/login/"
ACCOUNT_LOCKED = "登录失败次数过多，账号已被锁定。请 30 分钟后再试，或联系安全管理员解除锁定。"
ADDRESS_LOCKED = "来自您所在网络地址的失败次数过多，已暂停从该地址登录。请 30 分钟后再试，或联系安全管理员解除锁定。"


def attempt(client, username, password, address="10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def log(**filters) -> list[tuple]:
    rows = SecurityEvent.objects.filter(**filters).order_by("id")
    return [(row.kind, row.username, row.summary) for row in rows]


@pytest.fixture
def liaison(world):
    own_password(world.liaison_a)  # no forced change: these tests are about the lock
    return world.liaison_a


def test_five_wrong_passwords_lock_the_account_and_then_even_the_right_one_is_refused(client, liaison):
    for left in (4, 3, 2, 1):
        response = attempt(client, "liaison_a", "wrong-password")
        assert response.status_code == 400
        assert f"用户名或密码不正确，请重新输入。再输错 {left} 次，账号将被锁定。" in response.content.decode()
    response = attempt(client, "liaison_a", "wrong-password")
    assert response.status_code == 429
    assert ACCOUNT_LOCKED in response.content.decode()
    response = attempt(client, "liaison_a", PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert log() == [
        *[(Kind.LOGIN_FAILED, "liaison_a", "用户名或密码错误")] * 5,
        (Kind.LOCKOUT, "liaison_a", "账号 liaison_a 连续失败 5 次，已锁定"),
        (Kind.LOGIN_FAILED, "liaison_a", "锁定期间的尝试，已拒绝"),
    ]
    lockout = SecurityEvent.objects.get(kind=Kind.LOCKOUT)
    assert lockout.ip == "10.1.1.1" and lockout.target == f"organisation.user:{liaison.pk}"
    assert lockout.details["scope"] == "account" and lockout.details["account_failures"] == 5


def test_the_lock_holds_from_another_address_and_lifts_thirty_minutes_after_the_last_failure(
    client, liaison, frozen_today
):
    for _ in range(5):
        attempt(client, "liaison_a", "wrong-password")
    frozen_today.shift(dt.timedelta(minutes=29))
    assert attempt(client, "liaison_a", PASSWORD, address="10.9.9.9").status_code == 429
    frozen_today.shift(dt.timedelta(minutes=2))
    assert attempt(client, "liaison_a", PASSWORD).status_code == 302 and signed_in(client)


def test_trying_on_during_the_lock_keeps_it(client, liaison, frozen_today):
    for _ in range(5):
        attempt(client, "liaison_a", "wrong-password")
    frozen_today.shift(dt.timedelta(minutes=29))
    assert attempt(client, "liaison_a", PASSWORD).status_code == 429  # a failure too: 30 minutes from now
    frozen_today.shift(dt.timedelta(minutes=29))
    assert attempt(Client(), "liaison_a", PASSWORD).status_code == 429
    frozen_today.shift(dt.timedelta(minutes=31))
    assert attempt(client, "liaison_a", PASSWORD).status_code == 302


def test_an_unknown_username_is_counted_and_locked_the_same_way(client, world):
    for _ in range(5):
        attempt(client, "nobody", "x")
    assert attempt(client, "nobody", "x").status_code == 429
    failure = SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).order_by("id").first()
    assert failure.details["known_user"] is False and failure.target == ""


def test_a_success_clears_the_account_s_count(client, liaison):
    for _ in range(4):
        attempt(client, "liaison_a", "wrong-password")
    assert attempt(client, "liaison_a", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert attempt(client, "liaison_a", "wrong-password").status_code == 400
    assert attempt(client, "liaison_a", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_the_address_for_every_account(client, liaison):
    for n in range(20):
        attempt(client, f"guess{n % 5}", "wrong-password", address="10.2.2.2")  # 4 per name: no account locks
    response = attempt(client, "liaison_a", PASSWORD, address="10.2.2.2")
    assert response.status_code == 429 and ADDRESS_LOCKED in response.content.decode()
    assert not signed_in(client)
    assert log(kind=Kind.LOCKOUT) == [(Kind.LOCKOUT, "guess4", "地址 10.2.2.2 失败 20 次，已锁定")]
    assert attempt(Client(), "liaison_a", PASSWORD, address="10.3.3.3").status_code == 302


def test_with_no_lockout_window_only_the_administrator_unlocks(client, liaison, settings, frozen_today):
    settings.AXES_COOLOFF_TIME = None
    for _ in range(5):
        attempt(client, "liaison_a", "wrong-password")
    frozen_today.shift(dt.timedelta(days=30))
    response = attempt(client, "liaison_a", PASSWORD)
    assert response.status_code == 429
    assert "请联系安全管理员解除锁定。" in response.content.decode()


# ---- the security administrator ----------------------------------------------------------------


@pytest.fixture
def security_admin(world):
    return UserFactory(username="anquan", full_name="安全管理员", admin_role=User.AdminRole.SECURITY, is_staff=True)


def lock_liaison(liaison):
    for _ in range(5):
        attempt(Client(), liaison.username, "wrong-password")


def test_the_security_administrator_sees_the_lock_and_unlocks_it(client, liaison, security_admin):
    lock_liaison(liaison)
    client.force_login(security_admin)
    page = client.get("/accounts/lockouts/").content.decode()
    assert "liaison_a" in page and "解除锁定" in page
    response = client.post("/accounts/lockouts/release/", {"scope": "account", "key": "liaison_a"})
    assert response.status_code == 302
    assert "目前没有被锁定的账号或地址。" in client.get("/accounts/lockouts/").content.decode()
    (unlock,) = SecurityEvent.objects.filter(kind=Kind.UNLOCK)
    assert (unlock.user, unlock.summary) == (security_admin, "安全管理员解除了账号 liaison_a的锁定")
    assert unlock.details == {"scope": "account", "key": "liaison_a", "attempts_cleared": 1}
    assert attempt(Client(), "liaison_a", PASSWORD).status_code == 302


def test_an_address_is_unlocked_the_same_way(client, liaison, security_admin):
    for n in range(20):
        attempt(Client(), f"guess{n % 5}", "wrong-password", address="10.2.2.2")
    client.force_login(security_admin)
    assert "10.2.2.2" in client.get("/accounts/lockouts/").content.decode()
    client.post("/accounts/lockouts/release/", {"scope": "ip", "key": "10.2.2.2"})
    assert log(kind=Kind.UNLOCK) == [(Kind.UNLOCK, "anquan", "安全管理员解除了地址 10.2.2.2的锁定")]
    assert attempt(Client(), "liaison_a", PASSWORD, address="10.2.2.2").status_code == 302


@pytest.mark.parametrize("role", ["system", "audit", ""])
def test_no_one_else_may_unlock(client, world, liaison, role):
    other = UserFactory(username=f"admin-{role or 'none'}", admin_role=role, is_staff=bool(role))
    lock_liaison(liaison)
    for person in (other, world.office):
        client.force_login(person)
        assert client.get("/accounts/lockouts/").status_code == 403
        assert client.post("/accounts/lockouts/release/", {"scope": "account", "key": "liaison_a"}).status_code == 403
    assert attempt(Client(), "liaison_a", PASSWORD).status_code == 429
    assert not SecurityEvent.objects.filter(kind=Kind.UNLOCK).exists()


def test_the_lockout_screen_runs_the_same_queries_for_ten_times_the_locks(client, world, security_admin):
    client.force_login(security_admin)

    def queries_with(locks: int) -> int:
        for n in range(locks):
            for _ in range(5):
                attempt(Client(), f"someone{n}", "x", address=f"10.5.{n // 200}.{n % 200}")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/accounts/lockouts/").content.decode()
        assert page.count("解除锁定</button>") == len(set(SecurityEvent.objects.filter(kind=Kind.LOCKOUT)))
        return len(queries)

    assert queries_with(2) == queries_with(18)


# ---- API tokens ---------------------------------------------------------------------------------


def api(key, address="10.4.4.4"):
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=address).get("/api/v1/me")


def test_bad_tokens_lock_the_address_for_tokens_and_the_sign_in_form_stays_open(world, liaison):
    _token, key = token_create(user=world.inspector, name="手机")
    assert api(key).status_code == 200
    for n in range(19):
        assert api(f"{n:08d}-not-a-key").status_code == 401  # another key each time: no key locks
    assert api("00000019-not-a-key").status_code == 429  # the twentieth failure locks the address
    response = api(key)
    assert response.status_code == 429
    assert response.json() == {
        "detail": "来自您所在网络地址的失败次数过多，已暂停从该地址登录。请 30 分钟后再试，或联系安全管理员解除锁定。"
    }
    assert api(key, address="10.4.4.5").status_code == 200
    assert attempt(Client(), "liaison_a", PASSWORD, address="10.4.4.4").status_code == 302
    lock = SecurityEvent.objects.get(kind=Kind.LOCKOUT)
    assert (lock.summary, lock.details["scope"], lock.details["channel"]) == (
        "地址 10.4.4.4 失败 20 次，已锁定",
        "token_ip",
        "api_token",
    )
    failure = SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).order_by("id").first()
    assert (failure.username, failure.summary, failure.path) == ("api-token:00000000", "接口令牌无效", "/api/v1/me")


def test_a_revoked_key_used_again_and_again_locks_itself(world):
    token, key = token_create(user=world.inspector, name="旧手机")
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    for _ in range(4):
        assert api(key).status_code == 401
    assert api(key).status_code == 429
    assert api(key).status_code == 429
    assert log(kind=Kind.LOCKOUT) == [
        (Kind.LOCKOUT, f"api-token:{key[:8]}", f"接口令牌 {key[:8]}… 连续失败 5 次，已锁定")
    ]
    _other, good = token_create(user=world.inspector, name="新手机")
    assert api(good).status_code == 200


def test_the_admin_signs_in_through_the_same_form(client, world):
    response = client.get("/admin/login/?next=/admin/")
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/admin/")
    assert client.get("/admin/").url == "/admin/login/?next=/admin/"
