"""Trends (趋势): each period's figures against problems placed by hand in known months, the
filters, the comparison with an earlier campaign, the page and its workbook."""

import datetime as dt
import io
import zoneinfo

import openpyxl
import pytest
from django.urls import reverse

from campaigns.models import Campaign
from oversight import selectors, trends
from problems import services
from problems.models import Problem
from problems.tests.helpers import photo

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SH)


def _problem(
    world,
    frozen_today,
    *,
    found: str,
    deadline: str | None = None,
    closed: str | None = None,
    returned: bool = False,
    unit=None,
    site=None,
) -> Problem:
    """A problem found, assigned, and (optionally) returned once and closed on the given days,
    each step taken at that moment of the frozen clock."""
    frozen_today.move_to(at(found))
    problem = services.problem_record(
        actor=world.office,
        campaign=world.campaign,
        site=site or world.site,
        criterion=world.checkpoint,
        description="垃圾堆积",
    )
    if deadline:
        problem = services.problem_assign(
            actor=world.office, problem=problem, unit=unit or world.unit_a, deadline=dt.date.fromisoformat(deadline)
        )
    if closed:
        frozen_today.move_to(at(closed, 9))
        liaison = world.liaison_a if (unit or world.unit_a) == world.unit_a else world.liaison_b
        problem = services.problem_submit_evidence(actor=liaison, problem=problem, note="已整改", files=[photo()])
        if returned:
            problem = services.problem_return(actor=world.inspector, problem=problem, reason="不合格")
            problem = services.problem_submit_evidence(actor=liaison, problem=problem, note="再次整改", files=[photo()])
        frozen_today.move_to(at(closed, 15))
        problem = services.problem_close(actor=world.inspector, problem=problem, note="合格")
    return problem


@pytest.fixture
def months(world, frozen_today):
    """The campaign from 2026-03-01; problems in March, April and May (today: 2026-05-12)."""
    Campaign.objects.filter(pk=world.campaign.pk).update(starts_on=dt.date(2026, 3, 1))
    world.campaign.refresh_from_db()
    made = {
        # found 3-05, due 3-20, closed 3-18: on time, 13 days
        "a": _problem(world, frozen_today, found="2026-03-05", deadline="2026-03-20", closed="2026-03-18"),
        # found 3-25, due 3-31, closed 4-10 (late, returned once): 16 days; overdue at March's end
        "b": _problem(
            world, frozen_today, found="2026-03-25", deadline="2026-03-31", closed="2026-04-10", returned=True
        ),
        # found 4-02, due 4-15, still open: overdue at April's end and now
        "c": _problem(world, frozen_today, found="2026-04-02", deadline="2026-04-15"),
        # found 5-06, recorded only (no deadline): never overdue
        "d": _problem(world, frozen_today, found="2026-05-06"),
        # another unit's, found in April, due in June
        "e": _problem(
            world, frozen_today, found="2026-04-20", deadline="2026-06-01", unit=world.unit_b, site=world.site_b
        ),
    }
    frozen_today.move_to(at("2026-05-12"))
    return made


def _by_label(series):
    return {row["label"]: row for row in series["periods"]}


def test_each_month_counts_what_was_found_closed_and_late_in_it(world, months):
    rows = _by_label(trends.series(user=world.office, campaign=world.campaign))
    assert list(rows) == ["2026-03", "2026-04", "2026-05"]
    march, april, may = rows["2026-03"], rows["2026-04"], rows["2026-05"]
    assert (march["found"], april["found"], may["found"]) == (2, 2, 1)
    assert (march["closed"], april["closed"], may["closed"]) == (1, 1, 0)
    assert (march["closed_on_time"], april["closed_on_time"]) == (1, 0)
    assert (march["on_time_share"], april["on_time_share"], may["on_time_share"]) == (100.0, 0.0, None)
    # b was due 3-31 and still open at the end of March; c due 4-15, open at April's end and now.
    assert (march["overdue_at_end"], april["overdue_at_end"], may["overdue_at_end"]) == (1, 1, 1)
    assert (march["reworked"], april["reworked"]) == (0, 1)
    # a: 3-05 10:00 to 3-18 15:00; b: 3-25 10:00 to 4-10 15:00 (days and five hours each)
    assert (march["average_days"], april["average_days"], may["average_days"]) == (13.2, 16.2, None)
    assert march["start"] == dt.date(2026, 3, 1) and march["end"] == dt.date(2026, 3, 31)


def test_weeks_begin_on_monday_and_count_the_same_problems(world, months):
    weekly = trends.series(user=world.office, campaign=world.campaign, kind=trends.WEEK)
    assert all(row["start"].weekday() == 0 for row in weekly["periods"])
    assert weekly["periods"][0]["start"] == dt.date(2026, 2, 23)  # the week holding 2026-03-01
    assert sum(row["found"] for row in weekly["periods"]) == 5
    assert sum(row["closed"] for row in weekly["periods"]) == 2


def test_a_unit_filter_and_a_units_own_scope_count_only_its_problems(world, months):
    only_b = trends.series(user=world.office, campaign=world.campaign, filters={"unit": world.unit_b})
    assert [row["found"] for row in only_b["periods"]] == [0, 1, 0]
    # unit A's liaison sees unit A's problems only, whatever they ask for
    own = trends.series(user=world.liaison_a, campaign=world.campaign)
    assert sum(row["found"] for row in own["periods"]) == 3


def test_cancelled_problems_are_not_counted(world, months):
    services.problem_cancel(actor=world.office, problem=months["c"], reason="误报")
    rows = _by_label(trends.series(user=world.office, campaign=world.campaign))
    assert rows["2026-04"]["found"] == 1
    assert rows["2026-04"]["overdue_at_end"] == 0


def test_the_periods_reach_back_at_most_two_years_of_months():
    spans = trends.periods(starts_on=dt.date(2023, 1, 15), today=dt.date(2026, 5, 12), kind=trends.MONTH)
    assert len(spans) == 24
    assert spans[-1] == (dt.date(2026, 5, 1), dt.date(2026, 6, 1))
    assert spans[0] == (dt.date(2024, 6, 1), dt.date(2024, 7, 1))
    february = trends.periods(starts_on=dt.date(2028, 2, 1), today=dt.date(2028, 3, 1), kind=trends.MONTH)
    assert february == [(dt.date(2028, 2, 1), dt.date(2028, 3, 1)), (dt.date(2028, 3, 1), dt.date(2028, 4, 1))]


def test_the_page_shows_the_table_and_compares_with_an_earlier_campaign(client, world, months):
    earlier = Campaign.objects.create(
        name="2025年创卫",
        year=2025,
        standard=world.campaign.standard,
        starts_on=dt.date(2025, 3, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    client.force_login(world.office)
    page = client.get(reverse("oversight:trends"), {"compare": earlier.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026-03" in html and "2026-05" in html
    assert "2025年创卫 同月发现" in html
    assert 'id="trends-data"' in html


def test_the_workbook_holds_the_same_figures(client, world, months):
    client.force_login(world.office)
    answer = client.get(reverse("oversight:trends"), {"format": "xlsx"})
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    body = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert body["2026-03"]["发现"] == 2 and body["2026-04"]["期末逾期"] == 1
    assert body["2026-05"]["按期销号占比"] is None
    assert "导出说明" in book.sheetnames


def test_kept_trends_equal_a_fresh_count_after_a_step(world, months):
    first = selectors.trends_kept(user=world.office, campaign=world.campaign, kind=trends.MONTH, filters={})
    services.problem_cancel(actor=world.office, problem=months["d"], reason="重复")
    again = selectors.trends_kept(user=world.office, campaign=world.campaign, kind=trends.MONTH, filters={})
    assert again.value == trends.series(user=world.office, campaign=world.campaign)
    assert again.value != first.value


def test_the_running_period_counts_overdue_as_of_now_not_at_its_end(world, months, frozen_today):
    # Due 2026-05-20, within this month but after today (2026-05-12): not yet overdue.
    _problem(world, frozen_today, found="2026-05-10", deadline="2026-05-20")
    frozen_today.move_to(at("2026-05-12"))
    may = _by_label(trends.series(user=world.office, campaign=world.campaign))["2026-05"]
    assert may["overdue_at_end"] == 1  # c alone, as the overview's 逾期 says
    assert may["overdue_at_end"] == Problem.objects.overdue().count()
