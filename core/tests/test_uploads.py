"""Uploads bounded before work starts: the size a request declares, each file's size before it is
read, and the memory a large upload costs the server (tests/uploads.py streams the body through
the WSGI handler, as gunicorn passes it, without the test holding it in memory)."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from core.models import Attachment
from dossier import services
from dossier.models import Material, Submission
from tests.uploads import multipart_environ, peak_memory_of_request

MB = 1024 * 1024
TOO_LARGE = "提交的内容过大（801 MB），一次最多 100 MB；单个文件不超过 20 MB，请分几次上传"


@pytest.fixture
def media(settings):
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def material(world):
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save()
    services.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    services.material_assign(actor=world.office, material=material, unit=world.unit_a)
    return material


def cookies_of(client, user) -> str:
    client.force_login(user)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


def upload(client, world, material, *, size: int, path=None):
    environ = multipart_environ(
        path=path or reverse("dossier:material", args=[material.uuid]),
        cookies=cookies_of(client, world.liaison_a),
        fields={"note": "保洁制度"},
        field="file",
        filename="制度扫描.jpg",
        size=size,
    )
    return peak_memory_of_request(environ)


def test_an_800_mb_upload_is_refused_before_its_body_is_read(client, world, material, media):
    response, peak = upload(client, world, material, size=800 * MB + 512 * 1024)

    assert response.status_code == 413
    assert TOO_LARGE in response.content.decode()
    assert "<nav" in response.content.decode()  # the site's layout, not a bare error
    assert peak < 4 * MB
    assert (Submission.objects.count(), Attachment.objects.count(), list(media.rglob("*.*"))) == (0, 0, [])


def test_a_file_over_20_mb_within_the_request_limit_is_refused_without_being_read(client, world, material, media):
    response, peak = upload(client, world, material, size=60 * MB)

    assert response.status_code == 400
    assert "文件「制度扫描.jpg」超过 20 MB" in response.content.decode()
    # Django streams files over 2 MB to a temporary file; the check reads only its size.
    assert peak < 8 * MB
    assert (Submission.objects.count(), Attachment.objects.count(), list(media.rglob("*.*"))) == (0, 0, [])


def test_the_api_answers_a_too_large_request_in_json(client, world, material):
    environ = multipart_environ(
        path="/api/v1/photos",
        cookies=cookies_of(client, world.inspector),
        fields={"client_id": "0" * 32},
        field="file",
        filename="现场.jpg",
        size=800 * MB + 512 * 1024,
    )
    response, peak = peak_memory_of_request(environ)

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == {"detail": TOO_LARGE}
    assert peak < 4 * MB
