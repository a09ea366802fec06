"""The password rules (length, character classes, not the username, not the demo's, not a recent
one), the forced change (first sign-in, an administrator's reset, the demo's published password
outside DEMO_MODE, expiry), and the security log of each."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import PasswordRecord
from core.models import SecurityEvent
from tests.factories import UserFactory
from tests.signin import PASSWORD, own_password

Kind = SecurityEvent.Kind
LOGIN = "/accounts/login/"


def errors(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


@pytest.fixture
def liaison(db):
    return UserFactory(username="liaison", full_name="周晓")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        # the two the examiners typed
        ("liaison2026", ["密码须包含小写字母、大写字母、数字、符号中的至少 3 类。", "密码不能包含用户名。"]),
        ("zzzzzzzzz", ["密码太短，至少需要 10 个字符。", "密码须包含小写字母、大写字母、数字、符号中的至少 3 类。"]),
        # each rule alone
        ("Xy-7q", ["密码太短，至少需要 10 个字符。"]),
        ("Qwerty123456", ["这个密码太常见，容易被猜中。"]),
        ("abcdefghijKLMN", ["密码须包含小写字母、大写字母、数字、符号中的至少 3 类。"]),
        ("My-LIAISON-pass-7", ["密码不能包含用户名。"]),
        ("chuangwei2026", ["密码须包含小写字母、大写字母、数字、符号中的至少 3 类。", "不能使用演示账号的公开密码。"]),
        # good ones
        ("Qing-shui-7he", []),
        ("清淤Qing-2026", []),
    ],
)
def test_the_password_rules(liaison, password, expected):
    assert errors(password, liaison) == expected


def test_the_rules_follow_the_configuration(liaison, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
        {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 4}},
    ]
    assert errors("Qing-shui-7he", liaison) == []
    assert errors("Qingshui7he", liaison) == [
        "密码太短，至少需要 12 个字符。",
        "密码须包含小写字母、大写字母、数字、符号中的至少 4 类。",
    ]


def change(client, old, new, next_url=""):
    return client.post(
        "/accounts/password/", {"old_password": old, "new_password1": new, "new_password2": new, "next": next_url}
    )


def test_none_of_the_last_five_passwords_comes_back(client, liaison):
    client.force_login(liaison)
    passwords = [PASSWORD, "First-pass-01", "Second-pass-02", "Third-pass-03", "Fourth-pass-04", "Fifth-pass-05"]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change(client, old, new).status_code == 302
    for reused in passwords[1:]:
        response = change(client, "Fifth-pass-05", reused)
        assert response.status_code == 400
        assert "新密码不能与当前密码或最近 5 次使用过的密码相同。" in response.content.decode()
    assert change(client, "Fifth-pass-05", "Sixth-pass-06").status_code == 302
    assert change(client, "Sixth-pass-06", "First-pass-01").status_code == 302  # six changes ago


def test_changing_the_password_keeps_the_session_and_is_logged(client, liaison):
    client.force_login(liaison)
    response = change(client, PASSWORD, "Qing-shui-7he")
    assert response.url == "/accounts/security/"
    assert client.get("/accounts/security/").status_code == 200
    liaison.refresh_from_db()
    assert liaison.check_password("Qing-shui-7he")
    assert list(PasswordRecord.objects.values_list("user", "password")) == [(liaison.pk, liaison.password)]
    (event,) = SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED)
    assert (event.user, event.summary, event.details) == (liaison, "本人修改密码", {"forced": None})


def test_a_wrong_old_password_changes_nothing(client, liaison):
    client.force_login(liaison)
    response = change(client, "not-my-password", "Qing-shui-7he")
    assert response.status_code == 400
    assert "你的旧密码不正确。请重新输入。" in response.content.decode()
    assert not PasswordRecord.objects.exists() and not SecurityEvent.objects.exists()


# ---- the forced change --------------------------------------------------------------------------


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/ledger/"})


def test_at_the_first_sign_in_the_password_set_by_someone_else_must_be_changed(client, world):
    response = sign_in(client, "liaison_a", PASSWORD)
    assert response.url == "/ledger/"
    response = client.get("/ledger/")
    assert response.url == "/accounts/password/?next=%2Fledger%2F"
    assert client.get("/problems/mine/").url == "/accounts/password/?next=%2Fproblems%2Fmine%2F"
    page = client.get(response.url).content.decode()
    assert "您的密码是他人设置的（首次登录或管理员重置）。请先设置一个只有您自己知道的新密码。" in page
    assert 'class="navbar-nav' not in page  # no way around it but to change it or sign out
    response = change(client, PASSWORD, "Qing-shui-7he", next_url="/ledger/")
    assert response.url == "/ledger/"
    assert client.get("/ledger/").status_code == 200
    assert [(e.kind, e.summary, e.details.get("password_change") or e.details.get("forced")) for e in events()] == [
        (Kind.LOGIN, "登录成功", "not_own"),
        (Kind.PASSWORD_CHANGED, "本人修改密码（首次登录或管理员重置后）", "not_own"),
    ]


def events():
    return SecurityEvent.objects.order_by("id")


def test_after_an_administrator_s_reset_it_must_be_changed_again(client, world):
    own_password(world.liaison_a)
    assert sign_in(client, "liaison_a", PASSWORD).url == "/ledger/"
    assert client.get("/ledger/").status_code == 200
    client.post("/accounts/logout/")
    world.liaison_a.set_password("Temporary-0001")  # the system administrator, in /admin/
    world.liaison_a.save()
    sign_in(client, "liaison_a", "Temporary-0001")
    assert client.get("/ledger/").url.startswith("/accounts/password/")


def test_a_password_expires_after_ninety_days(client, world, frozen_today):
    own_password(world.liaison_a)
    frozen_today.shift(dt.timedelta(days=89))
    sign_in(client, "liaison_a", PASSWORD)
    assert client.get("/ledger/").status_code == 200
    client.post("/accounts/logout/")
    frozen_today.shift(dt.timedelta(days=1))
    sign_in(client, "liaison_a", PASSWORD)
    response = client.get(client.get("/ledger/").url)
    assert "您的密码已使用超过 90 天，请修改后继续。" in response.content.decode()
    assert events().filter(kind=Kind.LOGIN).last().details["password_change"] == "expired"


def test_passwords_never_expire_with_max_age_zero(client, world, frozen_today, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    own_password(world.liaison_a)
    frozen_today.shift(dt.timedelta(days=1000))
    sign_in(client, "liaison_a", PASSWORD)
    assert client.get("/ledger/").status_code == 200


def test_the_demo_s_published_password_must_be_changed_outside_the_demo_mode(client, world, settings):
    world.liaison_a.set_password("chuangwei2026")
    world.liaison_a.save()
    PasswordRecord.objects.create(
        user=world.liaison_a, password=world.liaison_a.password, set_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    )
    sign_in(client, "liaison_a", "chuangwei2026")
    page = client.get(client.get("/ledger/").url).content.decode()
    assert "您使用的是演示账号的公开密码，请先修改为只有您自己知道的密码。" in page
    client.post("/accounts/logout/")

    settings.DEMO_MODE = True
    page = client.get(LOGIN).content.decode()
    assert "演示模式：演示账号的密码均为 chuangwei2026" in page
    sign_in(client, "liaison_a", "chuangwei2026")
    assert client.get("/ledger/").status_code == 200
    assert [e.details["password_change"] for e in events().filter(kind=Kind.LOGIN)] == ["shared", None]


def test_set_password_names_a_person_by_unit_and_role_and_they_must_change_it(world):
    # README: try the screens as someone of another sub-district without /admin/.
    import io

    from django.core.management import call_command

    from accounts.passwords import ChangeReason, change_reason
    from core.models import SecurityEvent

    out = io.StringIO()
    call_command("set_password", "--unit", world.unit_a.code, "--role", "head", "--password", "Temp-2026-x", stdout=out)
    world.head_a.refresh_from_db()
    assert world.head_a.check_password("Temp-2026-x")
    assert out.getvalue().split("\t")[:2] == ["head_a", "陈主任"]
    assert change_reason(world.head_a, "Temp-2026-x") == ChangeReason.NOT_OWN
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ADMIN, details__command="set_password")
    assert event.summary == "在服务器命令行为「陈主任」设置临时密码"
    call_command("set_password", "liaison_a", "--password", "Other-2026-y", stdout=io.StringIO())
    world.liaison_a.refresh_from_db()
    assert world.liaison_a.check_password("Other-2026-y")


def test_set_password_refuses_administrators_and_unknown_people(world):
    from django.core.management import CommandError, call_command

    from tests.factories import UserFactory

    admin = UserFactory(username="sysadmin", is_staff=True, admin_role="system")
    for args in (["sysadmin"], ["nobody"], ["--unit", "NOPE"], []):
        with pytest.raises(CommandError):
            call_command("set_password", *args, "--password", "Temp-2026-x")
    admin.refresh_from_db()
    assert not admin.check_password("Temp-2026-x")
