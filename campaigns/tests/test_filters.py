"""The ledger's filters (campaigns.forms.TaskFilterForm read by campaigns.selectors.task_list): what
each field keeps and drops, alone and combined, what a bad value does, and the filters kept in
the URL. Today is 12 May; the ledger, nearest deadline first:

    mobilised  召开动员部署会     东城街道    3.3    动员部署 (15 Mar)      due 10 Mar  1 of 1 done   done
    market     农贸市场三防设施   城管局      3.2.1  全面达标 (30 Apr)      due 30 Apr  nothing       late
    alleys     清理背街小巷       东城街道    3.2    通过省级暗访 (30 Jun)  due 20 Jun  12 of 37      in progress
    sorting    垃圾分类宣传       市场监管局  3.3.1  通过省级暗访 (30 Jun)  due 25 Jun  nothing       not started
"""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign
from conftest import SHANGHAI, TODAY
from organisation.models import Membership
from standard.models import Criterion
from tests.factories import CampaignFactory, CriterionFactory, MembershipFactory, MilestoneFactory, UserFactory

ALL = ["mobilised", "market", "alleys", "sorting"]


@pytest.fixture
def ledger(world, frozen_today):
    world.sorting = CriterionFactory(
        standard=world.campaign.standard,
        level=Criterion.Level.CRITERION,
        code="3.3",
        name="垃圾分类",
        parent=world.category,
    )
    world.sorting_point = CriterionFactory(
        standard=world.campaign.standard, code="3.3.1", name="分类桶齐全", parent=world.sorting
    )
    world.liaison_c = UserFactory(username="liaison_c", full_name="郑洁")
    MembershipFactory(user=world.liaison_c, unit=world.unit_c, role=Membership.Role.LIAISON)

    def task(title, unit, person, criterion, milestone, deadline, target):
        return services.task_create(
            actor=world.office,
            campaign=world.campaign,
            criterion=criterion,
            milestone=milestone,
            title=title,
            lead_unit=unit,
            responsible=person,
            target_quantity=target,
            target_measure="项",
            deadline=deadline,
        )

    # The tasks were set in March: a deadline already past is refused today (issue 12).
    frozen_today.move_to(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))
    tasks = {
        "alleys": task(
            "清理背街小巷", world.unit_a, world.liaison_a, world.criterion, world.covert, dt.date(2026, 6, 20), 37
        ),
        "market": task(
            "农贸市场三防设施",
            world.unit_b,
            world.liaison_b,
            world.checkpoint,
            world.compliant,
            dt.date(2026, 4, 30),
            3,
        ),
        "mobilised": task(
            "召开动员部署会", world.unit_a, world.head_a, world.sorting, world.mobilisation, dt.date(2026, 3, 10), 1
        ),
        "sorting": task(
            "垃圾分类宣传", world.unit_c, world.liaison_c, world.sorting_point, world.covert, dt.date(2026, 6, 25), 5
        ),
    }
    frozen_today.move_to(TODAY)
    services.task_report_progress(actor=world.liaison_a, task=tasks["alleys"], quantity_done=12, text="已清理12条")
    services.task_report_progress(actor=world.head_a, task=tasks["mobilised"], quantity_done=1, text="已召开")
    world.labels = {task.pk: label for label, task in tasks.items()}
    return world


def listed(client, ledger, user=None, **query) -> list[str]:
    client.force_login(user or ledger.office)
    response = client.get(reverse("campaigns:ledger"), query)
    assert response.context["form"].errors == {}
    return [ledger.labels[task.pk] for task in response.context["page"]]


def test_without_filters_the_office_sees_every_task_nearest_deadline_first(client, ledger):
    assert listed(client, ledger) == ALL


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("unit_a", ["mobilised", "alleys"]), ("unit_b", ["market"]), ("unit_c", ["sorting"]), ("office_unit", [])],
)
def test_the_unit_filter_keeps_the_tasks_the_unit_leads(client, ledger, unit, expected):
    assert listed(client, ledger, unit=getattr(ledger, unit).pk) == expected


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("criterion", ["market", "alleys"]),  # 3.2 itself and its checkpoint 3.2.1
        ("sorting", ["mobilised", "sorting"]),  # 3.3 itself and its checkpoint 3.3.1
    ],
)
def test_the_criterion_filter_keeps_the_criterion_and_its_checkpoints(client, ledger, criterion, expected):
    assert listed(client, ledger, criterion=getattr(ledger, criterion).pk) == expected


@pytest.mark.parametrize(
    ("milestone", "expected"),
    [("mobilisation", ["mobilised"]), ("compliant", ["market"]), ("covert", ["alleys", "sorting"])],
)
def test_the_milestone_filter_keeps_the_tasks_of_that_milestone(client, ledger, milestone, expected):
    assert listed(client, ledger, milestone=getattr(ledger, milestone).pk) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [("done", ["mobilised"]), ("late", ["market"]), ("in_progress", ["alleys"]), ("not_started", ["sorting"])],
)
def test_the_progress_filter_keeps_the_tasks_in_that_state(client, ledger, state, expected):
    assert listed(client, ledger, state=state) == expected


def test_progress_follows_the_clock_a_task_past_its_deadline_becomes_late(client, ledger, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 6, 21, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert listed(client, ledger, state="late") == ["market", "alleys"]
    assert listed(client, ledger, state="in_progress") == []


COMBINED = {
    "unit and progress": (lambda w: {"unit": w.unit_a.pk, "state": "done"}, ["mobilised"]),
    "criterion and milestone": (lambda w: {"criterion": w.sorting.pk, "milestone": w.covert.pk}, ["sorting"]),
    "unit, milestone and progress": (
        lambda w: {"unit": w.unit_a.pk, "milestone": w.covert.pk, "state": "in_progress"},
        ["alleys"],
    ),
    "a unit and a state it has none in": (lambda w: {"unit": w.unit_b.pk, "state": "done"}, []),
}


@pytest.mark.parametrize("case", COMBINED)
def test_filters_combine_and_every_one_must_hold(client, ledger, case):
    query, expected = COMBINED[case]
    assert listed(client, ledger, **query(ledger)) == expected


def test_an_empty_result_says_so(client, ledger):
    client.force_login(ledger.office)
    page = client.get(reverse("campaigns:ledger"), {"unit": ledger.unit_b.pk, "state": "done"}).content.decode()
    assert "共 0 项" in page
    assert "没有符合条件的任务" in page


def test_a_filter_never_widens_what_a_unit_person_sees(client, ledger):
    assert listed(client, ledger, ledger.liaison_a) == ["mobilised", "alleys"]
    assert listed(client, ledger, ledger.liaison_a, unit=ledger.unit_b.pk) == []
    assert listed(client, ledger, ledger.inspector, state="late") == ["market"]  # the inspector's own unit


CHOICE = "选择一个有效的选项： 该选择不在可用的选项中。"


def last_campaign():
    return CampaignFactory(name="上一届复审", year=2023, starts_on=dt.date(2023, 1, 1), ends_on=dt.date(2023, 12, 31))


def other_campaigns_milestone(world):
    return MilestoneFactory(campaign=last_campaign(), due_on=dt.date(2023, 6, 30)).pk


BAD_VALUES = {
    "the leadership, which leads no task": ("unit", lambda w: w.leadership.pk, CHOICE),
    "a unit that does not exist": ("unit", lambda w: 999999, CHOICE),
    "a checkpoint, finer than the list offers": ("criterion", lambda w: w.checkpoint.pk, CHOICE),
    "a category, coarser than the list offers": ("criterion", lambda w: w.category.pk, CHOICE),
    "a milestone of another campaign": ("milestone", other_campaigns_milestone, CHOICE),
    "a state that does not exist": ("state", lambda w: "finished", "选择一个有效的选项。 finished 不在可用的选项中。"),
}


@pytest.mark.parametrize("case", BAD_VALUES)
def test_a_bad_value_is_reported_under_its_field_and_the_other_filters_still_apply(client, ledger, case):
    field, value, message = BAD_VALUES[case]
    # The good filter beside the bad value still applies (the bad state replaces it: then none).
    expected = ALL if field == "state" else listed(client, ledger, ledger.office, state="late")
    client.force_login(ledger.office)
    response = client.get(reverse("campaigns:ledger"), {"state": "late", field: value(ledger)})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert f'<div class="invalid-feedback d-block">{message}</div>' in response.content.decode()
    assert [ledger.labels[task.pk] for task in response.context["page"]] == expected
    assert expected != ALL or field == "state"


def test_the_filters_stay_in_the_url_for_the_form_and_the_export(client, ledger):
    client.force_login(ledger.office)
    query = {"milestone": ledger.covert.pk, "state": "in_progress", "page": "1"}

    response = client.get(reverse("campaigns:ledger"), query)

    assert response.context["querystring"] == f"milestone={ledger.covert.pk}&state=in_progress"  # not the page
    page = response.content.decode()
    assert f'<option value="{ledger.covert.pk}" selected>' in page
    assert '<option value="in_progress" selected>' in page
    assert f'href="{reverse("exchange:ledger_xlsx")}?milestone={ledger.covert.pk}&amp;state=in_progress"' in page


def test_the_filters_offer_the_campaigns_own_criteria_and_milestones(client, ledger):
    other = MilestoneFactory(campaign=last_campaign(), due_on=dt.date(2023, 6, 30))
    client.force_login(ledger.office)
    form = client.get(reverse("campaigns:ledger")).context["form"]
    assert list(form.fields["criterion"].queryset.values_list("code", flat=True)) == ["3.2", "3.3"]
    assert other not in form.fields["milestone"].queryset
    assert list(form.fields["milestone"].queryset) == [ledger.mobilisation, ledger.compliant, ledger.covert]
    assert ledger.leadership not in form.fields["unit"].queryset


def test_without_a_campaign_the_ledger_is_not_found(client, world):
    Campaign.objects.all().delete()
    client.force_login(world.office)
    assert client.get(reverse("campaigns:ledger")).status_code == 404
