"""The TOTP second factor: required of administrators and PHC office staff, optional for the
others; enrolment with a QR code drawn on the server; the prompt at sign-in; recovery codes; the
security administrator's reset; API tokens untouched; every step in the security log."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import access
from accounts import second_factor
from accounts.services import token_create
from core.models import SecurityEvent
from organisation.models import User
from tests.factories import UserFactory
from tests.signin import PASSWORD, authenticator, force_login_unverified, fresh_code, own_password, totp_device

Kind = SecurityEvent.Kind
LOGIN = "/accounts/login/"
SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/"


def sign_in(client, user, next_url="/ledger/"):
    own_password(user)
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    return response


def events(**filters) -> list[tuple]:
    return [(e.kind, e.summary) for e in SecurityEvent.objects.filter(**filters).order_by("id")]


def test_who_must_have_a_second_factor(world, settings):
    admins = [
        UserFactory(username=f"admin-{role}", admin_role=role)
        for role in (User.AdminRole.SYSTEM, User.AdminRole.SECURITY, User.AdminRole.AUDIT)
    ]
    staff = UserFactory(username="staff", is_staff=True)
    required = {u.username for u in User.objects.all() if access.second_factor_required(u)}
    assert required == {"wangfang", "admin-system", "admin-security", "admin-audit", "staff"}
    assert [second_factor.required(u) for u in (world.office, *admins, staff, world.liaison_a)] == [True] * 5 + [False]
    settings.DEMO_MODE = True
    assert not any(second_factor.required(u) for u in User.objects.all())


def test_office_staff_enrol_at_their_first_sign_in_and_nothing_opens_before(client, world):
    sign_in(client, world.office)
    response = client.get("/ledger/")
    assert response.url == f"{SETUP}?next=%2Fledger%2F"
    for url in ("/problems/", "/overview/", "/accounts/password/", "/admin/"):
        assert client.get(url).url.startswith(SETUP)
    assert client.get("/api/v1/me").json() == {"detail": "请先在网页上完成登录。"}
    assert client.get("/api/v1/me").status_code == 401

    page = client.get(response.url)
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    main = html.split("<main")[1].split("</main>")[0]
    assert (
        main.count("<svg viewBox=") == 1 and 'class="cw-qr"' in main and "<script" not in main and "style=" not in main
    )
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=world.office)
    assert not device.confirmed and authenticator(device).secret == secret

    wrong = client.post(SETUP, {"code": "000000", "next": "/ledger/"})
    assert wrong.status_code == 400 and "动态口令不正确" in wrong.content.decode()
    done = client.post(SETUP, {"code": authenticator(device).now(), "next": "/ledger/"})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10 and "no-store" in done["Cache-Control"]
    stored = StaticToken.objects.filter(device__user=world.office).values_list("token", flat=True)
    assert sorted(codes) == sorted(stored)
    assert client.get("/ledger/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert events() == [
        (Kind.LOGIN, "登录成功"),
        (Kind.SECOND_FACTOR, "绑定动态口令并生成恢复码"),
    ]


def test_with_a_second_factor_the_code_is_asked_at_every_sign_in(client, world, frozen_today):
    phone = authenticator(totp_device(world.office))
    sign_in(client, world.office)
    response = client.get("/ledger/")
    assert response.url == f"{VERIFY}?next=%2Fledger%2F"
    page = client.get(response.url).content.decode()
    assert "打开手机上的身份验证器应用，输入「创卫督查」一项当前显示的 6 位数字。" in page
    wrong = client.post(VERIFY, {"code": "123456", "next": "/ledger/"})
    assert wrong.status_code == 400 and "动态口令不正确。" in wrong.content.decode()
    frozen_today.shift(2)  # django-otp waits a second after a wrong code
    response = client.post(VERIFY, {"code": phone.now(), "next": "/ledger/"})
    assert response.url == "/ledger/"
    assert client.get("/ledger/").status_code == 200
    assert events() == [
        (Kind.LOGIN, "密码验证通过，待验证动态口令"),
        (Kind.LOGIN_FAILED, "动态口令或恢复码错误"),
        (Kind.SECOND_FACTOR, "动态口令验证通过"),
    ]
    failure = SecurityEvent.objects.get(kind=Kind.LOGIN_FAILED)
    assert (failure.user, failure.details["channel"]) == (world.office, "second_factor")


def test_a_code_is_good_once(client, world):
    device = totp_device(world.office)
    code = authenticator(device).now()
    sign_in(client, world.office)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = Client()
    sign_in(other, world.office)
    assert other.post(VERIFY, {"code": code}).status_code == 400


def test_five_wrong_codes_lock_the_account_and_end_the_half_made_session(client, world, frozen_today):
    totp_device(world.office)
    sign_in(client, world.office)
    for _ in range(4):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
        frozen_today.shift(60)  # past django-otp's own growing wait
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    assert "登录失败次数过多，账号已被锁定。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.post(LOGIN, {"username": "wangfang", "password": PASSWORD}).status_code == 429
    assert events(kind__in=[Kind.LOCKOUT, Kind.LOGOUT]) == [
        (Kind.LOCKOUT, "账号 wangfang 连续失败 5 次，已锁定"),
        (Kind.LOGOUT, "账号被锁定，登录中止"),
    ]


def test_a_recovery_code_signs_in_once(client, world):
    totp_device(world.office)
    codes = [t.token for t in second_factor_codes(world.office)]
    sign_in(client, world.office)
    page = client.get(f"{VERIFY}?recovery=1&next=%2Fledger%2F").content.decode()
    assert "手机不在身边时，输入一个未用过的恢复码。每个恢复码只能用一次。" in page
    response = client.post(VERIFY, {"code": codes[0].upper(), "recovery": "1", "next": "/ledger/"}, follow=True)
    assert "已使用一个恢复码，还剩 9 个。可在「账号安全」中重新生成。" in response.content.decode()
    assert events(kind=Kind.SECOND_FACTOR) == [(Kind.SECOND_FACTOR, "使用恢复码验证通过（剩余 9 个）")]
    other = Client()
    sign_in(other, world.office)
    refused = other.post(VERIFY, {"code": codes[0], "recovery": "1"})
    assert refused.status_code == 400 and "恢复码不正确或已经用过。" in refused.content.decode()


def second_factor_codes(user):
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=user, name="恢复码")
    return StaticToken.objects.bulk_create([StaticToken(device=device, token=f"code{n:04d}") for n in range(10)])


def test_renewing_the_recovery_codes_replaces_them(client, world):
    old = {t.token for t in second_factor_codes(world.office)}
    client.force_login(world.office)
    page = client.post("/accounts/two-factor/recovery-codes/").content.decode()
    new = set(re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page))
    assert len(new) == 10 and not new & old
    assert set(StaticToken.objects.values_list("token", flat=True)) == new
    assert events() == [(Kind.SECOND_FACTOR, "重新生成恢复码")]


# ---- optional for everyone else ------------------------------------------------------------------


def test_others_sign_in_without_one_and_may_add_it_and_remove_it(client, world):
    liaison = world.liaison_a
    sign_in(client, liaison)
    assert client.get("/ledger/").status_code == 200
    page = client.get("/accounts/security/").content.decode()
    assert "未开启。开启后，即使密码泄露，他人也无法登录您的账号。" in page
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=liaison)
    client.post(SETUP, {"code": authenticator(device).now()})
    client.post("/accounts/logout/")

    sign_in(client, liaison)
    assert client.get("/ledger/").url.startswith(VERIFY)
    client.post(VERIFY, {"code": fresh_code(liaison, authenticator(device))})
    assert client.post("/accounts/two-factor/remove/").url == "/accounts/security/"
    assert not TOTPDevice.objects.filter(user=liaison).exists()
    assert events(kind__in=[Kind.SECOND_FACTOR]) == [
        (Kind.SECOND_FACTOR, "绑定动态口令并生成恢复码"),
        (Kind.SECOND_FACTOR, "动态口令验证通过"),
        (Kind.SECOND_FACTOR, "停用动态口令"),
    ]


def test_those_who_must_have_one_cannot_remove_it(client, world):
    totp_device(world.office)
    client.force_login(world.office)
    client.post("/accounts/two-factor/remove/")
    assert TOTPDevice.objects.filter(user=world.office).exists()
    assert not SecurityEvent.objects.exists()


def test_the_demo_mode_asks_no_one_to_enrol(client, world, settings):
    settings.DEMO_MODE = True
    sign_in(client, world.office)
    assert client.get("/ledger/").status_code == 200


def test_the_security_administrator_resets_a_lost_phone(client, world):
    totp_device(world.office)
    second_factor_codes(world.office)
    security = UserFactory(username="anquan", admin_role=User.AdminRole.SECURITY, is_staff=True)
    client.force_login(security)
    assert client.post("/accounts/lockouts/reset-two-factor/", {"username": "wangfang"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=world.office).exists()
    (event,) = SecurityEvent.objects.filter(kind=Kind.SECOND_FACTOR)
    assert (event.user, event.summary, event.target) == (
        security,
        "安全管理员重置了 wangfang 的双因素认证",
        f"organisation.user:{world.office.pk}",
    )
    other = Client()
    sign_in(other, world.office)
    assert other.get("/ledger/").url.startswith(SETUP)

    client.force_login(world.office)
    assert client.post("/accounts/lockouts/reset-two-factor/", {"username": "liaison_a"}).status_code == 403


def test_api_tokens_need_no_second_factor(world):
    _token, key = token_create(user=world.office, name="手机")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me").json()["username"] == "wangfang"


def test_force_login_stands_for_a_whole_sign_in_and_django_s_own_does_not(client, world):
    unverified = Client()
    force_login_unverified(unverified, world.office)
    assert unverified.get("/ledger/").url.startswith(SETUP)
    client.force_login(world.office)
    assert client.get("/ledger/").status_code == 200
    assert unverified.get("/ledger/").url.startswith(VERIFY)  # the office now has an authenticator


@pytest.mark.parametrize("page", ["/accounts/security/", SETUP, "/accounts/password/", VERIFY, "/accounts/lockouts/"])
def test_the_pages_speak_english_too(client, world, page):
    for _ in range(5):
        Client().post(LOGIN, {"username": "someone", "password": "x"})  # a lock on the lockouts page
    person = UserFactory(username="anquan", admin_role=User.AdminRole.SECURITY, is_staff=True)
    if page == VERIFY:
        totp_device(person)
        force_login_unverified(client, person)
    else:
        client.force_login(person)
    client.cookies["django_language"] = "en"
    html = client.get(page).content.decode()
    main = re.sub(r"<[^>]+>", " ", html.split('<main id="main"')[1])
    assert not re.search(r"[\u3400-\u9fff]", main.replace("创卫督查", "")), main
