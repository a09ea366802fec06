"""A list a person opens shows a bounded number of rows whatever the size of the data (STYLE habit
15): the verification queue and the work list show the nearest deadlines, count all of it in
their figures, and link to the whole list; the problem list's deep pages hold the same rows as
the plain OFFSET pages would."""

import datetime as dt
import re

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from conftest import TODAY
from core.pagination import IdsFirstPaginator
from problems import selectors, views
from problems.models import Problem
from problems.tests.helpers import assigned_problem, returned_problem, submitted_problem

SHOWN = 3  # the pages' NEAREST, made small so that a handful of problems is "more than a page"


@pytest.fixture
def few_shown(monkeypatch):
    monkeypatch.setattr(views, "NEAREST", SHOWN)


def _cards(page: str) -> list[str]:
    """The problem numbers on the page's cards, in their order."""
    return re.findall(r'<a href="/problems/[0-9a-f-]+/">(\d{4}-\d{6})</a>', page)


def _submitted(world, count: int, first_deadline: dt.date) -> list[Problem]:
    return [submitted_problem(world, deadline=first_deadline + dt.timedelta(days=i)) for i in range(count)]


def test_the_verification_queue_shows_the_nearest_deadlines_and_counts_all(client, world, few_shown):
    problems = _submitted(world, SHOWN + 2, dt.date(2026, 5, 20))
    client.force_login(world.inspector)
    page = client.get(reverse("problems:verify")).content.decode()
    assert _cards(page) == [p.number for p in problems[:SHOWN]]
    assert '待复核问题 <small class="text-body-secondary">5 条</small>' in page
    assert f"此处显示期限最近的 {SHOWN} 条。" in page
    assert "在问题清单中查看全部待复核问题" in page
    assert f'<a href="/problems/?status=submitted&amp;sort=deadline&amp;area={world.east.pk}">东城街道</a> 5' in page


def test_the_verification_queue_does_not_grow_with_the_data(client, world, few_shown):
    _submitted(world, SHOWN + 1, dt.date(2026, 5, 20))
    client.force_login(world.inspector)
    small = client.get(reverse("problems:verify")).content.decode()
    _submitted(world, 6, dt.date(2026, 6, 1))
    large = client.get(reverse("problems:verify")).content.decode()
    assert len(_cards(small)) == len(_cards(large)) == SHOWN
    assert "10 条" in large


def test_a_short_queue_shows_everything_and_no_link(client, world, few_shown):
    problems = _submitted(world, 2, dt.date(2026, 5, 20))
    client.force_login(world.inspector)
    page = client.get(reverse("problems:verify")).content.decode()
    assert _cards(page) == [p.number for p in problems]
    assert "此处显示期限最近的" not in page


def test_the_work_list_shows_the_nearest_deadlines_and_counts_all(client, world, few_shown, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC))
    late = assigned_problem(world, deadline=dt.date(2026, 5, 10))
    frozen_today.move_to(TODAY)  # 2026-05-12: the first is two days late
    returned = returned_problem(world, deadline=dt.date(2026, 5, 14))
    later = [assigned_problem(world, deadline=dt.date(2026, 5, 20) + dt.timedelta(days=i)) for i in range(4)]
    client.force_login(world.liaison_a)
    page = client.get(reverse("problems:mine")).content.decode()
    numbers = re.findall(r"<strong>(\d{4}-\d{6}) · ", page)
    assert numbers == [late.number, returned.number, later[0].number]
    figures = re.findall(r'<div class="fs-4 fw-bold[^"]*">(\d+)</div>', page)
    assert figures == ["6", "1", "1"]  # to fix, overdue, returned: over all six, not the three shown
    assert f"此处显示期限最近的 {SHOWN} 条。" in page
    all_open = "/problems/?status=assigned&amp;status=returned&amp;status=submitted&amp;sort=deadline"
    all_open += f"&amp;unit={world.unit_a.pk}"  # the liaison's one unit
    assert f'<a href="{all_open}">' in page


def test_deep_pages_read_ids_first_hold_the_same_rows_as_offset_pages(world):
    for i in range(7):
        assigned_problem(world, deadline=dt.date(2026, 5, 20) + dt.timedelta(days=i % 3))
    for sort in ("-recorded", "deadline", "-deadline", "number"):
        problems = selectors.problem_list(user=world.office, filters={"sort": sort})
        plain, ids_first = Paginator(problems, 3), IdsFirstPaginator(problems, 3)
        assert ids_first.num_pages == plain.num_pages == 3
        for number in (1, 2, 3):
            assert list(ids_first.page(number)) == list(plain.page(number))


def test_the_queue_s_counts_per_sub_district_are_kept_until_the_next_step(client, world, few_shown):
    _submitted(world, SHOWN + 1, dt.date(2026, 5, 20))
    client.force_login(world.inspector)
    area_link = f'<a href="/problems/?status=submitted&amp;sort=deadline&amp;area={world.east.pk}">东城街道</a>'
    assert f"{area_link} 4" in client.get(reverse("problems:verify")).content.decode()

    # Read again without any step: the grouped count is not run again.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("problems:verify"))
    assert not [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]

    # A step commits: the figures are counted afresh.
    _submitted(world, 1, dt.date(2026, 5, 25))
    assert f"{area_link} 5" in client.get(reverse("problems:verify")).content.decode()
