"""Nothing unpublished, covert or personal reaches the public side: a crawl of every page the
portal links to (and every report's status page, and every file and photo they link to) fails
on a staff name, a phone number, an e-mail address, a reporter's contact, an unpublished covert
finding or a bulletin that is not published."""

import re
from urllib.parse import urljoin, urlsplit

from django.test import Client

from organisation.models import User
from problems.tests.helpers import DEADLINE, closed_problem, photo
from public import services
from public.models import CitizenReport
from public.tests.helpers import gps_jpeg, report
from public.tests.test_portal import covert_finding, published_bulletin
from tests.factories import PublishedBulletinFactory

LINK = re.compile(rb'(?:href|src)="([^"]+)"')
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _world_with_secrets(world):
    """Staff with phones and e-mail addresses, reporters with theirs, a covert finding not yet
    published, a draft bulletin, and reports in every state."""
    for n, user in enumerate(User.objects.all()):
        user.phone = f"139{n:08d}"
        user.email = f"{user.username}@gov.example.cn"
        user.save(update_fields=["phone", "email"])
    secret = covert_finding(world)
    published_bulletin(world, title="五月督查通报", number=5, year=2026)
    PublishedBulletinFactory(campaign=world.campaign, created_by=world.office, title="草稿不得公开", status="draft")
    closed_problem(world)
    received = report(world, name="张大爷", phone="13812345678", photos=[("a.jpg", gps_jpeg())])
    refused = report(world, name="李阿姨", phone="13912345678", ip="203.0.113.20", description="另一处")
    services.report_refuse(actor=world.office, report=refused, reason="不属本区")
    asked = report(world, name="王先生", phone="13712345678", ip="203.0.113.21", description="第三处")
    services.report_ask(actor=world.office, report=asked, question="请补充楼号")
    fixed = report(
        world,
        name="赵女士",
        phone="13612345678",
        ip="203.0.113.22",
        description="第四处",
        photos=[("b.jpg", gps_jpeg())],
    )
    fixed = services.report_accept(actor=world.office, report=fixed, site=world.site)
    from problems import services as problem_services

    problem = problem_services.problem_assign(
        actor=world.office, problem=fixed.problem, unit=world.unit_a, deadline=DEADLINE
    )
    problem = problem_services.problem_submit_evidence(
        actor=world.liaison_a, problem=problem, note="已清", files=[photo()]
    )
    problem_services.problem_close(actor=world.inspector, problem=problem, note="复核通过")
    return secret, [received, refused, asked, fixed]


def _crawl(client, starts) -> dict[str, bytes]:
    seen, queue = {}, list(starts)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        answer = client.get(url)
        assert answer.status_code in (200, 302), f"{url}: {answer.status_code}"
        if answer.status_code == 302:
            queue.append(answer["Location"])
            seen[url] = b""
            continue
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        seen[url] = body
        if answer["Content-Type"].startswith("text/html"):
            for link in LINK.findall(body):
                target = urljoin(url, link.decode().replace("&amp;", "&"))
                if urlsplit(target).netloc:
                    continue  # nothing external is linked, but never follow it
                if target.startswith("/public/") and target not in seen:
                    queue.append(target)
    return seen


def test_no_public_page_leaks_anything(world):
    secret, reports = _world_with_secrets(world)
    visitor = Client()
    pages = _crawl(visitor, ["/public/", *[f"/public/r/{r.code}/" for r in reports]])
    # The crawl reached every kind of page.
    paths = set(pages)
    assert {
        "/public/",
        "/public/report/",
        "/public/r/",
        "/public/bulletins/",
        "/public/guide/",
        "/public/areas/SD01/",
    } <= paths
    assert any(p.endswith(".pdf") for p in paths) and sum("/photos/" in p for p in paths) >= 3

    forbidden = {name for name in User.objects.values_list("full_name", flat=True) if name}
    forbidden |= {"张大爷", "李阿姨", "王先生", "赵女士", "草稿不得公开", secret.number, "巷口垃圾堆积未清运"}
    found = []
    for url, body in pages.items():
        text = body.decode("utf-8", "replace")
        found += [f"{url}: {word}" for word in forbidden if word in text]
        found += [f"{url}: phone {m}" for m in PHONE.findall(text)]
        found += [f"{url}: e-mail {m}" for m in EMAIL.findall(text)]
        if "/photos/" in url:
            found += [f"{url}: EXIF" for marker in (b"Exif\x00\x00", b"TestPhoneMaker") if marker in body]
    assert found == []
    assert CitizenReport.objects.count() == 4
