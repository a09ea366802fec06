"""Exports over EXPORT_IMMEDIATE_MAX_ROWS rows, and the dossier ZIP, are made by the worker: the
request leads to a progress page, the worker writes the file (run_pending() plays it), the page
then shows the link; only the requester may fetch it; it expires and housekeeping removes it."""

import datetime as dt
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from core.models import GeneratedFile, SecurityEvent
from core.worker import run_pending
from exchange.tests.helpers import open_response, values
from exchange.tests.test_exports import PROBLEM_HEADERS, closed_b
from problems.tests.helpers import assigned_problem, recorded_problem

pytestmark = pytest.mark.usefixtures("no_schedule")


@pytest.fixture
def no_schedule():
    with override_settings(SCHEDULE={}):
        yield


@pytest.fixture
def problems(world):
    """Four problems: two with 东城街道, one with 城管局 closed, one unassigned."""
    return {
        "a_overdue": assigned_problem(world, deadline=dt.date(2026, 5, 12)),
        "a_due": assigned_problem(world),
        "b_closed": closed_b(world),
        "recorded": recorded_problem(world),
    }


@pytest.fixture
def large(settings):
    """Every export of more than one row counts as large."""
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 1


def _status(client, job) -> str:
    return client.get(reverse("download", args=[job.uuid]) + "?part=status").content.decode()


def test_a_large_export_is_made_by_the_worker_with_the_lists_filters(client, world, problems, large, frozen_today):
    client.force_login(world.office)
    query = f"?unit={world.unit_a.pk}"

    response = client.get(reverse("exchange:problems_xlsx") + query)

    job = GeneratedFile.objects.get()
    assert response.url == reverse("download", args=[job.uuid])
    assert (job.state, job.title, job.filename, job.requested_by) == (
        "pending",
        "问题清单",
        "问题清单-20260512.xlsx",
        world.office,
    )
    page = client.get(response.url).content.decode()
    assert "已排队，稍候开始生成……" in page
    assert f'data-poll="{reverse("download", args=[job.uuid])}?part=status"' in page
    assert "js/poll." in page
    # The same export asked again while it is under way is the same job, not a second file.
    assert client.get(reverse("exchange:problems_xlsx") + query).url == response.url
    assert GeneratedFile.objects.count() == 1
    # The export is in the security log when asked for, with its size.
    assert SecurityEvent.objects.filter(kind="export").last().summary == "导出问题清单 2 行"

    assert run_pending() == 1

    job.refresh_from_db()
    assert (job.state, job.progress, job.result, job.error) == ("ready", 100, {"rows": 2}, "")
    assert job.expires_at == job.finished_at + dt.timedelta(hours=24)
    box = _status(client, job)
    assert "已生成。共 2 行。" in box and "data-poll" not in box and "<html" not in box
    assert "仅限本人下载，保留至 2026-05-13 10:00。" in box
    download = client.get(reverse("download_file", args=[job.uuid]))
    ws = open_response(download).active
    rows = values(ws)
    assert rows[0] == tuple(PROBLEM_HEADERS)
    assert sorted(row[0] for row in rows[1:]) == sorted([problems["a_overdue"].number, problems["a_due"].number])


def test_a_large_ledger_export_is_made_by_the_worker_too(client, world, large, frozen_today):
    from campaigns.tests.test_ledger import new_task

    for index in range(3):
        new_task(world, title=f"任务{index}")
    client.force_login(world.office)
    response = client.get(reverse("exchange:ledger_xlsx"))
    job = GeneratedFile.objects.get()
    assert response.url == reverse("download", args=[job.uuid])
    run_pending()
    job.refresh_from_db()
    assert (job.state, job.result) == ("ready", {"rows": 3})


def test_only_the_requester_fetches_the_file(client, world, problems, large, frozen_today):
    client.force_login(world.office)
    client.get(reverse("exchange:problems_xlsx"))
    job = GeneratedFile.objects.get()
    run_pending()
    # The leader sees every problem too, but this file is the office's: not found.
    for persona in ("leader", "office_viewer", "liaison_a"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("download", args=[job.uuid])).status_code == 404
        assert client.get(reverse("download_file", args=[job.uuid])).status_code == 404
        assert client.post(reverse("download_again", args=[job.uuid])).status_code == 404
    client.logout()
    assert client.get(reverse("download_file", args=[job.uuid])).url.startswith("/accounts/login/")
    client.force_login(world.office)
    assert client.get(reverse("download_file", args=[job.uuid])).status_code == 200


def test_a_file_not_ready_yet_leads_back_to_its_progress_page(client, world, problems, large):
    client.force_login(world.office)
    client.get(reverse("exchange:problems_xlsx"))
    job = GeneratedFile.objects.get()
    assert client.get(reverse("download_file", args=[job.uuid])).url == reverse("download", args=[job.uuid])


def test_the_file_expires_and_housekeeping_removes_it(client, world, problems, large, frozen_today, settings):
    from core.downloads import downloads_prune

    client.force_login(world.office)
    client.get(reverse("exchange:problems_xlsx"))
    run_pending()
    job = GeneratedFile.objects.get()
    path = Path(settings.MEDIA_ROOT) / job.file.name
    assert path.exists() and job.file.name.startswith("downloads/")

    frozen_today.shift(dt.timedelta(hours=23))
    downloads_prune.enqueue()
    run_pending()
    assert path.exists()

    frozen_today.shift(dt.timedelta(hours=2))
    downloads_prune.enqueue()
    run_pending()
    assert not path.exists() and not GeneratedFile.objects.exists()
    client.force_login(world.office)  # a day later: signed in again
    assert client.get(reverse("download_file", args=[job.uuid])).status_code == 404


def test_the_downloads_job_is_on_the_schedule():
    from config import settings

    assert settings.SCHEDULE["downloads"] == {"task": "core.downloads.downloads_prune", "every_minutes": 60}


def test_a_run_whose_worker_was_killed_is_marked_failed_after_the_lease_and_made_again(
    client, world, problems, large, frozen_today, settings
):
    from core.downloads import downloads_prune

    client.force_login(world.office)
    client.get(reverse("exchange:problems_xlsx"))
    job = GeneratedFile.objects.get()
    # What a worker killed while writing leaves: its claim and a heartbeat that stops.
    GeneratedFile.objects.filter(pk=job.pk).update(state="running", attempt=1, heartbeat_at=job.created_at)
    frozen_today.shift(dt.timedelta(minutes=settings.DOCUMENT_LEASE_MINUTES + 1))
    downloads_prune.enqueue()
    run_pending()  # the stale claim is given up; the job's own task finds nothing pending to do

    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "生成过程中断（服务重启或超时），请重新生成")
    box = _status(client, job)
    assert "生成过程中断（服务重启或超时），请重新生成" in box
    assert f'action="{reverse("download_again", args=[job.uuid])}"' in box

    response = client.post(reverse("download_again", args=[job.uuid]))
    again = GeneratedFile.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("download", args=[again.uuid])
    run_pending()
    again.refresh_from_db()
    assert (again.state, again.result, again.filename) == ("ready", {"rows": 4}, job.filename)


def test_a_dossier_zip_whose_index_cannot_be_converted_fails_in_chinese_and_is_made_again(
    client, world, frozen_today, monkeypatch
):
    client.force_login(world.office)
    monkeypatch.setenv("PATH", "/nonexistent")  # no LibreOffice for the index's PDF
    response = client.get(reverse("dossier:export"))
    job = GeneratedFile.objects.get()
    assert response.url == reverse("download", args=[job.uuid])
    run_pending()
    job.refresh_from_db()
    assert (job.state, job.error, job.file.name) == (
        "failed",
        "文件生成失败，请重新生成；如仍失败，请联系系统管理员",
        "",
    )
    page = client.get(reverse("download", args=[job.uuid]))
    assert page.status_code == 200 and "文件生成失败，请重新生成；如仍失败，请联系系统管理员" in page.content.decode()

    monkeypatch.undo()
    client.post(reverse("download_again", args=[job.uuid]))
    run_pending()
    again = GeneratedFile.objects.get(state="ready")
    response = client.get(reverse("download_file", args=[again.uuid]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"


def test_a_small_export_is_still_written_at_once(client, world, problems):
    client.force_login(world.office)
    response = client.get(reverse("exchange:problems_xlsx"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert not GeneratedFile.objects.exists()


def test_an_export_over_the_threshold_by_one_row_goes_to_the_worker(client, world, settings):
    for _ in range(3):
        assigned_problem(world)
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 3
    client.force_login(world.office)
    assert client.get(reverse("exchange:problems_xlsx")).status_code == 200
    assigned_problem(world)
    assert client.get(reverse("exchange:problems_xlsx")).status_code == 302
