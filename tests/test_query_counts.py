"""Lists, dashboards and map data run a number of queries that does not grow with the data:
measured on a small dataset and on one ten times larger."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services as campaign_services
from organisation.models import Membership
from problems import services
from problems.tests.helpers import DEADLINE
from tests.factories import MembershipFactory, SiteFactory, UnitFactory, UserFactory

PAGES = [
    ("problems:list", {}),
    ("problems:list", {"overdue": "on", "sort": "deadline"}),
    ("problems:map_data", {}),
    ("problems:verify", {}),
    ("oversight:overview", {}),
    ("campaigns:ledger", {}),
    ("campaigns:five_in_place", {}),
]


def _grow(world, n: int) -> None:
    """n more problems over n/5 new units and sites, in every state, and n/5 tasks."""
    for i in range(n):
        if i % 5 == 0:
            unit = UnitFactory(kind="subdistrict")
            liaison = UserFactory()
            MembershipFactory(user=liaison, unit=unit, role=Membership.Role.LIAISON)
            site = SiteFactory(area=world.community, owner_unit=unit)
            campaign_services.task_create(
                actor=world.office,
                campaign=world.campaign,
                criterion=world.criterion,
                milestone=world.covert,
                title=f"任务{i}",
                lead_unit=unit,
                responsible=liaison,
                target_quantity=10,
                target_measure="条",
                deadline=dt.date(2026, 6, 1),
            )
        problem = services.problem_record(
            actor=world.inspector,
            campaign=world.campaign,
            site=site,
            criterion=world.checkpoint,
            description=f"问题{i}",
        )
        if i % 4 == 0:
            continue
        problem = services.problem_assign(actor=world.office, problem=problem, unit=unit, deadline=DEADLINE)
        if i % 4 == 1:
            continue
        problem = services.problem_submit_evidence(actor=liaison, problem=problem, note="已整改")
        if i % 4 == 2:
            services.problem_return(actor=world.inspector, problem=problem, reason="不合格")
            continue
        services.problem_close(actor=world.inspector, problem=problem)


def _count(client, name, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("persona", "pages"),
    [("office", PAGES), ("inspector", [p for p in PAGES if p[0].startswith("problems:")])],
)
def test_pages_run_the_same_number_of_queries_at_ten_times_the_data(client, world, persona, pages):
    client.force_login(getattr(world, persona))
    _grow(world, 6)
    small = {(name, str(params)): _count(client, name, params) for name, params in pages}
    _grow(world, 54)
    large = {(name, str(params)): _count(client, name, params) for name, params in pages}
    assert large == small
