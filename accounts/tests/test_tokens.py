"""API tokens: only the key's hash is kept, the key is shown once (command or admin), a revoked
token or a deactivated person's token stops working."""

from django.test import Client

from accounts.models import ApiToken
from accounts.services import token_create
from conftest import TODAY


def token_client(user) -> Client:
    _token, key = token_create(user=user, name="测试手机")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_the_hash_of_a_token_is_stored_and_a_revoked_token_stops_working(world):
    token, key = token_create(user=world.inspector, name="手机")
    assert token.key_hash == ApiToken.hash_of(key) and key not in (token.key_hash, token.prefix * 5)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == TODAY
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_person_s_token_stops_working(world):
    client = token_client(world.inspector)
    world.inspector.is_active = False
    world.inspector.save()
    assert client.get("/api/v1/me").status_code == 401


def test_the_token_command_prints_a_working_key_and_stores_its_hash(world, capsys):
    from django.core.management import call_command

    call_command("api_token", "liqiang", "--name", "李强的手机")
    key = capsys.readouterr().out.strip()
    assert ApiToken.objects.get().key_hash == ApiToken.hash_of(key)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me").json()["username"] == "liqiang"


# ---- the schema ----------------------------------------------------------------------------------


def test_the_admin_makes_a_token_and_shows_the_key_once(world):
    from django.contrib.messages import get_messages

    admin = world.office
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = session_client(admin)
    response = client.post(
        "/admin/accounts/apitoken/add/", {"user": world.inspector.pk, "name": "李强的手机", "is_active": "on"}
    )
    assert response.status_code == 302
    token = ApiToken.objects.get()
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "令牌已生成" in str(m)]
    key = message.rsplit("：", 1)[1]
    assert token.key_hash == ApiToken.hash_of(key) and token.user == world.inspector
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me").json()["username"] == "liqiang"
    # Once: the page after saving shows it; neither the token's page nor the list shows it again.
    assert key in client.get(response.url).content.decode()
    for page in (f"/admin/accounts/apitoken/{token.pk}/change/", "/admin/accounts/apitoken/"):
        response = client.get(page)
        assert response.status_code == 200 and key not in response.content.decode()
