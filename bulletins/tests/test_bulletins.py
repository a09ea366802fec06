"""Bulletins: figures from the data, numbered and frozen on publication, Word in the official
layout, PDF with the Chinese text intact, accountability shown."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from docx import Document

from bulletins import services
from bulletins.models import Accountability, Bulletin
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.worker import run_pending
from problems import services as problem_services
from problems.models import Problem
from problems.tests.helpers import assigned_problem, closed_problem, returned_problem
from tests.factories import jpeg_bytes

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)


@pytest.fixture
def data(world, frozen_today):
    """unit_a: one closed on time, one returned, two overdue later; unit_b: one assigned."""
    closed = closed_problem(world)
    returned_problem(world)
    overdue = [assigned_problem(world, deadline=dt.date(2026, 5, 14)) for _ in range(2)]
    other = assigned_problem(world, unit=world.unit_b, site=world.site_b)
    photo = problem_services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="巷内垃圾桶满溢",
        severity=Problem.Severity.SERIOUS,
        photos=[("before.jpg", jpeg_bytes())],
    )
    frozen_today.move_to(dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    return {"closed": closed, "overdue": overdue, "other": other, "photo": photo}


def _draft(world, **kwargs):
    return services.bulletin_create(
        actor=world.office,
        campaign=world.campaign,
        period_start=START,
        period_end=END,
        lead="现将近期督查情况通报如下：",
        closing="各单位要限期整改到位。",
        **kwargs,
    )


def _published(world, draft):
    """Published, and its files made by the worker (as `manage.py worker` would, in this process)."""
    services.bulletin_publish(actor=world.office, bulletin=draft)
    run_pending()
    return Bulletin.objects.get(pk=draft.pk)


def test_the_content_counts_what_happened_in_the_period(world, data):
    content = services.bulletin_content_now(_draft(world, criticise_overdue_at=2))
    assert content["summary"] == {
        "found": 6,
        "closed": 1,
        "closed_on_time": 1,
        "closed_late": 0,
        "overdue": 2,
        "returned": 1,
        "rebounds": 4,  # everything recorded at the site after its first problem was closed
    }
    by_unit = {u["unit"]: u for u in content["units"]}
    assert {k: v for k, v in by_unit["东城街道"].items() if k != "unit_id"} == {
        "unit_code": "SD01",
        "unit": "东城街道",
        "kind": "subdistrict",
        "group": "街道",
        "found": 4,
        "in_hand": 3,
        "closed_on_time": 1,
        "closed_late": 0,
        "closed": 1,
        "overdue": 2,
        "returned": 1,
        "reworked": 0,
        "rebounds": 3,
        "rebounded": 1,  # the problem closed in the period came back
        "on_time_rate": 33.3,  # 1 on time of (1 closed + 2 overdue): the overview's definition (problems.kpi)
        "rework_rate": 0.0,
        "rebound_rate": 100.0,
        "severity": "late",
        "rank": 1,
    }
    # Departments are ranked apart from sub-districts; nothing closed is "—" (None), not 0.0 %.
    assert (by_unit["城管局"]["group"], by_unit["城管局"]["rank"], by_unit["城管局"]["on_time_rate"]) == (
        "部门",
        1,
        None,
    )
    assert content["criticised"] == [
        {"unit": "东城街道", "unit_id": world.unit_a.pk, "group": "街道", "overdue": 2, "returned": 1}
    ]
    assert content["praised"] == []
    # The one problem with a photo is not assigned yet: a typical problem names a unit.
    assert content["typical"] == []


def test_publishing_numbers_the_year_series_and_freezes_the_bulletin(world, data):
    first = _published(world, _draft(world))
    second = _published(world, _draft(world))
    assert (first.issue_label, second.issue_label) == ("〔2026〕第1期", "〔2026〕第2期")
    frozen = Bulletin.objects.get(pk=first.pk)
    before = (frozen.snapshot, frozen.docx.sha256, frozen.pdf.sha256)
    problem_services.problem_close(
        actor=world.inspector,
        problem=problem_services.problem_submit_evidence(
            actor=world.liaison_a, problem=data["overdue"][0], note="已整改"
        ),
    )
    frozen = Bulletin.objects.get(pk=first.pk)
    assert (frozen.snapshot, frozen.docx.sha256, frozen.pdf.sha256) == before
    assert services.bulletin_content_now(frozen)["summary"]["overdue"] == 2
    with pytest.raises(IllegalTransition, match="已印发"):
        services.bulletin_edit(
            actor=world.office, bulletin=frozen, title="改", lead="", closing="", criticise_overdue_at=1
        )
    with pytest.raises(IllegalTransition):
        services.bulletin_publish(actor=world.office, bulletin=frozen)


@pytest.mark.parametrize("persona", ["leader", "inspector", "liaison_a", "head_a"])
def test_only_the_office_writes_bulletins(world, persona):
    with pytest.raises(NotAllowed):
        services.bulletin_create(
            actor=getattr(world, persona), campaign=world.campaign, period_start=START, period_end=END
        )
    draft = _draft(world)
    with pytest.raises(NotAllowed):
        services.bulletin_edit(
            actor=getattr(world, persona), bulletin=draft, title="改", lead="", closing="", criticise_overdue_at=1
        )
    with pytest.raises(NotAllowed):
        services.bulletin_publish(actor=getattr(world, persona), bulletin=draft)
    stored = Bulletin.objects.get(pk=draft.pk)
    assert (stored.status, stored.title, stored.version, stored.events.count()) == (
        Bulletin.Status.DRAFT,
        draft.title,
        1,
        1,
    )


def test_the_word_file_has_the_official_layout(world, data):
    bulletin = _published(world, _draft(world, criticise_overdue_at=2))
    with bulletin.docx.file.open("rb") as f:
        doc = Document(io.BytesIO(f.read()))
    section = doc.sections[0]
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "示范区爱国卫生运动委员会办公室通报"
    header_run = doc.paragraphs[0].runs[0]
    assert str(header_run.font.color.rgb) == "E00000"
    assert texts[1] == "〔2026〕第1期"
    assert bulletin.title in [text.replace("\n", "") for text in texts]  # the title's lines
    assert "东城街道：逾期未整改2个，被退回返工1次。" in texts
    ranking = doc.tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["名次", "责任单位", "发现"]
    assert [c.text for c in ranking.rows[1].cells][:6] == ["1", "东城街道", "4", "1", "0", "2"]
    body_font = doc.paragraphs[texts.index("现将近期督查情况通报如下：")].runs[0].font
    assert (body_font.name, body_font.size.pt) == ("仿宋_GB2312", 16)
    assert len(doc.inline_shapes) == 0  # the one problem with a photo is unassigned: not typical


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test")
def test_the_pdf_shows_the_chinese_text(world, data, tmp_path):
    bulletin = _published(world, _draft(world))
    pdf = tmp_path / "b.pdf"
    with bulletin.pdf.file.open("rb") as f:
        pdf.write_bytes(f.read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "示范区爱国卫生运动委员会办公室通报" in text
    assert "〔2026〕第 1 期" in text or "〔2026〕第1期" in text
    assert "督查概况" in text and "东城街道" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert "CJK" in fonts or "UKai" in fonts
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000


def test_accountability_is_recorded_and_appears_in_the_bulletin(world, data):
    services.accountability_record(
        actor=world.office,
        campaign=world.campaign,
        unit=world.unit_a,
        person=world.deputy_a,
        measure=Accountability.Measure.INTERVIEW,
        reason="问题整改长期逾期",
        decided_on=dt.date(2026, 5, 18),
        problems=data["overdue"],
    )
    content = services.bulletin_content_now(_draft(world))
    assert content["accountability"] == [
        {
            "unit": "东城街道",
            "person": "刘副主任",
            "measure": "约谈",
            "reason": "问题整改长期逾期",
            "decided_on": "2026年5月18日",
            "sentence": f"2026年5月18日，因问题整改长期逾期，对{world.unit_a.name}刘副主任同志进行约谈。",
        }
    ]
    with pytest.raises(InvalidInput, match="^吴婷 不属于「东城街道」$"):
        services.accountability_record(
            actor=world.office,
            campaign=world.campaign,
            unit=world.unit_a,
            person=world.liaison_b,
            measure=Accountability.Measure.INTERVIEW,
            reason="x",
            decided_on=dt.date(2026, 5, 18),
        )
    (record,) = Accountability.objects.all()
    # The data fixture moved the clock to 20 May, 09:00.
    recorded_at = dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert list(record.events.values_list("action", "actor", "at")) == [("record", world.office.pk, recorded_at)]


def test_units_see_published_bulletins_only(client, world, data):
    draft = _draft(world)
    published = _published(world, _draft(world))
    client.force_login(world.liaison_a)
    listed = [b.pk for b in client.get(reverse("bulletins:list")).context["bulletins"]]
    assert listed == [published.pk]
    assert client.get(reverse("bulletins:detail", args=[draft.uuid])).status_code == 404
    response = client.get(reverse("bulletins:file", args=[published.uuid, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(world.outsider)
    assert client.get(reverse("bulletins:detail", args=[published.uuid])).status_code == 404


def test_the_office_drafts_edits_and_publishes_on_screen(client, world, data):
    client.force_login(world.office)
    response = client.post(
        reverse("bulletins:create"),
        {"period_start": "2026-05-01", "period_end": "2026-05-31", "criticise_overdue_at": "3"},
    )
    bulletin = Bulletin.objects.get()
    assert response.url == reverse("bulletins:detail", args=[bulletin.uuid])
    client.post(
        reverse("bulletins:detail", args=[bulletin.uuid]),
        {"title": "关于5月份督查情况的通报", "lead": "导语", "closing": "", "criticise_overdue_at": "2", "version": 1},
    )
    response = client.get(reverse("bulletins:file", args=[bulletin.uuid, "docx"]))
    assert Document(io.BytesIO(response.content)).paragraphs[0].text == "示范区爱国卫生运动委员会办公室通报"
    stale = client.post(
        reverse("bulletins:publish", args=[bulletin.uuid]), {"version": 1, "confirm": "on"}, follow=True
    )
    assert "通报「关于5月份督查情况的通报」已被他人修改（现为「草稿」），请刷新后重试" in stale.content.decode()
    client.post(reverse("bulletins:publish", args=[bulletin.uuid]), {"version": 2, "confirm": "on"})
    bulletin.refresh_from_db()
    assert (bulletin.title, bulletin.status, bulletin.issue_label) == (
        "关于5月份督查情况的通报",
        "published",
        "〔2026〕第1期",
    )
    assert list(bulletin.events.values_list("action", "from_status", "to_status", "note")) == [
        ("create", "", "draft", ""),
        ("edit", "draft", "draft", ""),
        ("publish", "draft", "published", "〔2026〕第1期"),
    ]


def test_a_bad_period_is_refused(world):
    with pytest.raises(InvalidInput, match="截止日期不能早于起始日期"):
        services.bulletin_create(actor=world.office, campaign=world.campaign, period_start=END, period_end=START)
    assert not Bulletin.objects.exists()


def test_unpublished_covert_findings_stay_out_of_the_bulletin(world, frozen_today):
    from inspections import services as inspection_services
    from inspections.tests.helpers import drawn_plan, record_finding, submit, with_checklist

    with_checklist(world)
    plan = drawn_plan(world)
    finding = record_finding(world, submit(world, plan))
    assigned_problem(world)  # an ordinary finding of the period
    found = services.bulletin_content_now(_draft(world))["summary"]["found"]
    assert found == 1
    plan.refresh_from_db()
    inspection_services.plan_publish(actor=world.office, plan=plan)
    assert services.bulletin_content_now(_draft(world))["summary"]["found"] == 2
    assert finding.problem_id


def test_a_bulletin_published_from_the_english_screens_is_still_in_chinese(world, data):
    from django.utils import translation

    services.accountability_record(
        actor=world.office,
        campaign=world.campaign,
        unit=world.unit_a,
        measure=Accountability.Measure.INTERVIEW,
        reason="整改逾期",
        decided_on=dt.date(2026, 5, 18),
    )
    with translation.override("en"):
        bulletin = services.bulletin_publish(actor=world.office, bulletin=_draft(world))
    assert bulletin.snapshot["accountability"][0]["measure"] == "约谈"
    assert bulletin.snapshot["accountability"][0]["decided_on"] == "2026年5月18日"
    assert bulletin.snapshot["accountability"][0]["sentence"].endswith("进行约谈。")


def test_publishing_asks_for_confirmation_names_its_number_and_shows_the_files_being_made(client, world, data):
    # Issue 12: one click took a number for good, without saying which.
    draft = _draft(world)
    client.force_login(world.office)
    page = client.get(reverse("bulletins:detail", args=[draft.uuid])).content.decode()
    form = page[page.index('id="cw-publish"') : page.index("</form>", page.index('id="cw-publish"'))]
    assert "印发为〔2026〕第1期" in form and "确认印发为〔2026〕第1期" in form
    assert 'name="confirm" id="id_confirm" required' in form and 'name="number" value="1"' in form
    # Without the tick nothing is published and no number is taken.
    refused = client.post(reverse("bulletins:publish", args=[draft.uuid]), {"version": 1, "number": 1}, follow=True)
    assert "请勾选确认期号后再印发" in refused.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("draft", None)
    # Another bulletin takes number 1 meanwhile: the page's number is refused, with the real one.
    _published(world, _draft(world))
    stale = client.post(
        reverse("bulletins:publish", args=[draft.uuid]), {"version": 1, "number": 1, "confirm": "on"}, follow=True
    )
    assert "本期将编为〔2026〕第2期，而非〔2026〕第1期" in stale.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("draft", None)
    # Confirmed with the right number: published, and the page shows the files being made.
    published = client.post(
        reverse("bulletins:publish", args=[draft.uuid]), {"version": 1, "number": 2, "confirm": "on"}, follow=True
    )
    page = published.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.issue_label) == ("published", "〔2026〕第2期")
    assert "通报〔2026〕第2期已印发" in page
    box = page[page.index('id="bulletin-files"') :]
    assert box.startswith('id="bulletin-files" data-poll=') and "排队生成中" in box
    run_pending()
    box = client.get(reverse("bulletins:files", args=[draft.uuid])).content.decode()
    assert "data-poll" not in box and "下载 PDF" in box
