"""Publishing commits the number and the frozen snapshot; the worker makes Word and PDF after.
A failed rendering keeps the number and says why in Chinese; the office starts it again (a step
of the bulletin's trail); a rendering cut short by a killed worker may be started again once its
lease has passed. LibreOffice is made to fail for real (no `soffice` on the PATH)."""

import datetime as dt
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from bulletins import services
from bulletins.models import Bulletin, BulletinCounter
from core import clock
from core.errors import IllegalTransition, NotAllowed
from core.worker import run_pending

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)
NO_LIBREOFFICE = "Word 和 PDF 文件生成失败：未安装 LibreOffice，无法生成 PDF（make test 与 make run 会安装）"
pytestmark = pytest.mark.usefixtures("no_schedule")


@pytest.fixture
def no_schedule():
    # Only the tasks a test enqueues run: the schedule's own jobs would be noise here.
    with override_settings(SCHEDULE={}):
        yield


def _draft(world):
    return services.bulletin_create(
        actor=world.office, campaign=world.campaign, period_start=START, period_end=END, title="五月督查通报"
    )


def _stored_files(settings) -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    return sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_publishing_numbers_and_freezes_at_once_and_leaves_the_files_to_the_worker(world, frozen_today):
    bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))

    stored = Bulletin.objects.get(pk=bulletin.pk)
    assert (stored.status, stored.issue_label, stored.render_state) == ("published", "〔2026〕第1期", "pending")
    assert (stored.docx, stored.pdf, stored.snapshot["summary"]["found"]) == (None, None, 0)
    (task,) = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["args"]) == ("bulletins.tasks.render_files", [bulletin.pk])

    assert run_pending() == 1
    stored.refresh_from_db()
    assert (stored.render_state, stored.render_error, stored.render_attempt) == ("ready", "", 1)
    assert (stored.docx.original_name, stored.pdf.original_name) == ("通报2026年第1期.docx", "通报2026年第1期.pdf")
    assert stored.version == 2  # the worker's files are no step of the bulletin: nobody's page goes stale
    assert run_pending() == 0


def test_a_refused_publication_enqueues_nothing(world):
    with pytest.raises(NotAllowed):
        services.bulletin_publish(actor=world.liaison_a, bulletin=_draft(world))
    assert not DBTaskResult.objects.exists()


def test_a_libreoffice_failure_keeps_the_number_says_why_in_chinese_and_is_retried(
    client, world, frozen_today, monkeypatch, settings
):
    draft = _draft(world)
    monkeypatch.setenv("PATH", "/nonexistent")  # no LibreOffice: the conversion fails for real
    services.bulletin_publish(actor=world.office, bulletin=draft)
    run_pending()

    failed = Bulletin.objects.get(pk=draft.pk)
    assert (failed.status, failed.issue_label, failed.render_state) == ("published", "〔2026〕第1期", "failed")
    assert failed.render_error == NO_LIBREOFFICE
    assert (failed.docx, failed.pdf, _stored_files(settings)) == (None, None, [])

    client.force_login(world.office)
    page = client.get(reverse("bulletins:detail", args=[draft.uuid]))
    html = page.content.decode()
    assert page.status_code == 200
    assert NO_LIBREOFFICE in html
    assert "通报〔2026〕第1期已印发，期号和内容不受影响。" in html
    assert f'action="{reverse("bulletins:render", args=[draft.uuid])}"' in html
    assert "data-poll" not in html
    # The file links lead back to the page while there is no file: never an error page.
    response = client.get(reverse("bulletins:file", args=[draft.uuid, "pdf"]))
    assert response.url == reverse("bulletins:detail", args=[draft.uuid])

    monkeypatch.undo()  # LibreOffice is back
    response = client.post(reverse("bulletins:render", args=[draft.uuid]), {"version": failed.version}, follow=True)
    assert "已重新开始生成 Word 和 PDF 文件" in response.content.decode()
    assert "data-poll" in response.content.decode()  # the box asks to be refreshed while the worker works
    run_pending()

    done = Bulletin.objects.get(pk=draft.pk)
    assert (done.issue_label, done.render_state, done.render_error, done.render_attempt) == (
        "〔2026〕第1期",
        "ready",
        "",
        2,
    )
    assert done.snapshot == failed.snapshot
    assert BulletinCounter.objects.get(year=2026).last == 1  # no number lost, none doubled
    assert list(done.events.values_list("action", "from_status", "to_status", "actor", "note")) == [
        ("create", "", "draft", world.office.pk, ""),
        ("publish", "draft", "published", world.office.pk, "〔2026〕第1期"),
        ("render", "published", "published", world.office.pk, NO_LIBREOFFICE),
    ]
    response = client.get(reverse("bulletins:file", args=[draft.uuid, "pdf"]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")


def test_files_being_made_or_made_are_not_made_again(world, frozen_today):
    bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))
    with pytest.raises(IllegalTransition, match="^通报〔2026〕第1期的文件正在生成或已经生成，不能重新生成$"):
        services.bulletin_render_again(actor=world.office, bulletin=bulletin)
    run_pending()
    bulletin.refresh_from_db()
    with pytest.raises(IllegalTransition, match="^通报〔2026〕第1期的文件正在生成或已经生成，不能重新生成$"):
        services.bulletin_render_again(actor=world.office, bulletin=bulletin)
    with pytest.raises(NotAllowed):
        services.bulletin_render_again(actor=world.head_a, bulletin=bulletin)
    with pytest.raises(IllegalTransition, match="^通报尚未印发，没有可生成的文件$"):
        services.bulletin_render_again(actor=world.office, bulletin=_draft(world))
    assert list(bulletin.events.values_list("action", flat=True)) == ["create", "publish"]


def test_a_rendering_cut_short_by_a_killed_worker_is_started_again_after_its_lease(
    client, world, frozen_today, settings
):
    bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))
    # What a worker killed in the middle leaves behind: its claim (rendering, attempt 1), no files.
    Bulletin.objects.filter(pk=bulletin.pk).update(
        render_state="rendering", render_started_at=clock.now(), render_attempt=1
    )
    bulletin.refresh_from_db()
    client.force_login(world.office)

    # Within the lease another run of the task leaves it alone, the page waits, and the office
    # cannot start it again.
    run_pending()
    assert DBTaskResult.objects.get().return_value == "already rendering"
    html = client.get(reverse("bulletins:detail", args=[bulletin.uuid])).content.decode()
    assert "正在生成 Word 和 PDF 文件……" in html and "data-poll" in html
    with pytest.raises(IllegalTransition):
        services.bulletin_render_again(actor=world.office, bulletin=bulletin)

    frozen_today.shift(dt.timedelta(minutes=settings.DOCUMENT_LEASE_MINUTES + 1))
    html = client.get(reverse("bulletins:detail", args=[bulletin.uuid])).content.decode()
    assert "文件生成过程中断（后台服务重启或超时）。" in html and "data-poll" not in html
    assert f'action="{reverse("bulletins:render", args=[bulletin.uuid])}"' in html
    services.bulletin_render_again(actor=world.office, bulletin=bulletin)
    run_pending()
    bulletin.refresh_from_db()
    assert (bulletin.issue_label, bulletin.render_state, bulletin.render_attempt) == ("〔2026〕第1期", "ready", 2)
    assert bulletin.events.last().note == "生成过程中断"


def test_everyone_who_sees_the_bulletin_sees_its_progress_and_only_the_office_may_retry(
    client, world, frozen_today, monkeypatch
):
    bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))
    client.force_login(world.liaison_a)
    box = client.get(reverse("bulletins:files", args=[bulletin.uuid])).content.decode()
    assert "已印发，Word 和 PDF 文件排队生成中……" in box
    assert f'data-poll="{reverse("bulletins:files", args=[bulletin.uuid])}"' in box
    assert "<html" not in box  # the box alone, for static/js/poll.js

    monkeypatch.setenv("PATH", "/nonexistent")
    run_pending()
    box = client.get(reverse("bulletins:files", args=[bulletin.uuid])).content.decode()
    assert NO_LIBREOFFICE in box and "重新生成文件" not in box and "data-poll" not in box
    assert client.post(reverse("bulletins:render", args=[bulletin.uuid]), {"version": 2}).status_code == 403
    client.force_login(world.outsider)
    assert client.get(reverse("bulletins:files", args=[bulletin.uuid])).status_code == 404


def test_the_files_download_under_the_number_and_the_title(client, world, frozen_today):
    bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))
    run_pending()
    client.force_login(world.office)
    response = client.get(reverse("bulletins:file", args=[bulletin.uuid, "pdf"]))
    assert "filename*=utf-8''%E3%80%942026%E3%80%95" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith("%20%E4%BA%94%E6%9C%88%E7%9D%A3%E6%9F%A5%E9%80%9A%E6%8A%A5.pdf")
    assert client.get(reverse("bulletins:file", args=[bulletin.uuid, "exe"])).status_code == 404
