"""The demo district (`manage.py demo`) and the data audit (`manage.py audit_check`).

Loading the demo takes seconds, so the module loads it once (the `demo` fixture commits it to the
test database and flushes it at the end); each test runs in a transaction on top of it that is
rolled back, so tampering in one test never leaks into the next."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

import access
from campaigns.models import Task
from demo.district import DEMO_ACCOUNTS, DEMO_TODAY, PASSWORD, SITE_TYPES, demo_load
from organisation.models import Area, Membership, Unit, User
from problems.models import Problem, ProblemEvent
from problems.states import Action, Status
from sites.models import Site
from tests import dba


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def media_of_the_demo(settings, demo_media):
    """Each test sees the demo's evidence files where the demo wrote them (audit_check reads them)."""
    settings.MEDIA_ROOT = demo_media


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, demo_media):
    """The demo district, loaded once for the module through the command; its output."""
    with override_settings(MEDIA_ROOT=demo_media), django_db_blocker.unblock():
        out = io.StringIO()
        call_command("demo", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


def audit_output() -> str:
    out = io.StringIO()
    call_command("audit_check", stdout=out)
    return out.getvalue()


def audit_failure() -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="处不一致"):
        call_command("audit_check", stdout=out)
    return out.getvalue()


def digest() -> str:
    """A fingerprint of what a person sees: numbers, statuses, places, people, times."""
    h = hashlib.sha256()
    for row in Problem.objects.order_by("year", "sequence").values_list(
        "year",
        "sequence",
        "status",
        "site__code",
        "criterion__code",
        "description",
        "assigned_unit__code",
        "deadline",
        "recorded_at",
        "closed_at",
        "rebound_of__sequence",
    ):
        h.update(repr(row).encode())
    for row in ProblemEvent.objects.order_by("problem__sequence", "seq").values_list(
        "problem__sequence", "seq", "action", "actor__username", "at", "unit__code", "deadline"
    ):
        h.update(repr(row).encode())
    for row in Task.objects.order_by("title", "lead_unit__code").values_list(
        "title", "lead_unit__code", "responsible__username", "deadline"
    ):
        h.update(repr(row).encode())
    for row in Site.objects.order_by("code").values_list("code", "name", "address", "latitude", "longitude"):
        h.update(repr(row).encode())
    return h.hexdigest()


# ---- the district ----------------------------------------------------------------------------


def test_the_demo_has_a_district_of_the_expected_size(demo, db):
    district = Area.objects.get(kind=Area.Kind.DISTRICT)
    assert district.name == "示范区"
    assert Area.objects.filter(kind=Area.Kind.SUBDISTRICT, parent=district).count() == 10
    assert 30 <= Area.objects.filter(kind=Area.Kind.COMMUNITY).count() <= 50
    assert Unit.objects.filter(kind=Unit.Kind.PHC_OFFICE).count() == 1
    assert Unit.objects.filter(kind=Unit.Kind.LEADERSHIP).count() == 1
    assert Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT).count() == 10
    assert Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).count() == 12
    assert 70 <= User.objects.count() <= 95
    assert Site.objects.count() == 800
    assert 130 <= Task.objects.count() <= 160
    # The base district's ~600 problems, besides those the demo's inspection plans found.
    assert 580 <= _base_problems().count() <= 620


def test_every_unit_has_a_head_a_deputy_and_a_liaison_and_the_team_has_eight_inspectors(demo, db):
    for unit in Unit.objects.exclude(kind=Unit.Kind.LEADERSHIP):
        roles = set(unit.memberships.values_list("role", flat=True))
        assert {Membership.Role.HEAD, Membership.Role.DEPUTY, Membership.Role.LIAISON} <= roles, unit
    inspectors = Membership.objects.filter(role=Membership.Role.INSPECTOR)
    assert inspectors.count() == 8
    assert set(inspectors.values_list("unit__kind", flat=True)) == {Unit.Kind.DEPARTMENT}
    assert inspectors.values("unit").distinct().count() == 8


def test_areas_have_boundaries_and_sites_lie_inside_their_community(demo, db):
    for area in Area.objects.exclude(kind=Area.Kind.DISTRICT):
        assert area.boundary["type"] == "Polygon"
        ring = area.boundary["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) == 5
    for site in Site.objects.select_related("area", "owner_unit"):
        (west, south), _, (east, north), *_ = site.area.boundary["coordinates"][0]
        assert south < site.latitude < north and west < site.longitude < east, site
        assert site.area.kind == Area.Kind.COMMUNITY
        assert site.owner_unit.area_id == site.area.parent_id or site.site_type.code == "farmers_market", site


def test_sites_are_coded_by_type(demo, db):
    for type_code, (prefix, count) in SITE_TYPES.items():
        codes = sorted(Site.objects.filter(site_type__code=type_code).values_list("code", flat=True))
        assert codes == [f"{prefix}-{n:04d}" for n in range(1, count + 1)]


def test_the_campaign_has_the_seeds_milestones_and_every_unit_reports_five_in_place(demo, db):
    from campaigns.models import Campaign, FiveInPlace

    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.year) == ("2026年省级卫生城市届满复审", 2026)
    assert list(campaign.milestones.values_list("due_on", "name")) == [
        (dt.date(2026, 2, 28), "资料申报"),
        (dt.date(2026, 3, 15), "动员部署"),
        (dt.date(2026, 4, 30), "全面达标"),
        (dt.date(2026, 6, 30), "通过省级暗访"),
        (dt.date(2026, 12, 15), "通过省级明查"),
    ]
    responsible_units = Unit.objects.exclude(kind=Unit.Kind.LEADERSHIP).count()
    assert FiveInPlace.objects.count() == responsible_units * 5
    assert set(FiveInPlace.objects.values_list("status", flat=True)) == set(FiveInPlace.Status.values)


def test_tasks_are_quantified_with_progress_some_complete_some_late(demo, db):
    tasks = list(Task.objects.with_progress().select_related("milestone"))
    assert all(task.target_quantity > 0 and task.target_measure.strip() for task in tasks)
    # Each has a task code (the ledger export -> import round trip updates by it).
    assert sorted(task.code for task in tasks)[:2] == ["T-001", "T-002"]
    assert len({task.code for task in tasks}) == len(tasks)
    assert all(task.deadline <= task.milestone.due_on for task in tasks)
    assert all(task.progress_reports.exists() for task in tasks)
    complete = [t for t in tasks if t.quantity_done >= t.target_quantity]
    late = [t for t in tasks if t.quantity_done < t.target_quantity and t.deadline < DEMO_TODAY]
    assert len(complete) > len(tasks) / 2
    assert late


def test_problems_are_in_every_state_and_tell_every_story(demo, db):
    assert set(Problem.objects.values_list("status", flat=True)) == set(Status.values)
    counted = Problem.objects.with_counts()
    assert Problem.objects.overdue(today=DEMO_TODAY).count() >= 10
    assert counted.filter(rework_count__gte=2).count() >= 5
    assert counted.filter(reassign_count__gte=1).count() >= 5
    assert Problem.objects.filter(status=Status.CANCELLED).count() >= 5
    assert Problem.objects.closed_late().count() >= 10
    rebounds = Problem.objects.filter(rebound_of__isnull=False).select_related("rebound_of")
    assert rebounds.count() >= 10
    for problem in rebounds:
        origin = problem.rebound_of
        assert (problem.site_id, problem.criterion_id) == (origin.site_id, origin.criterion_id)
        assert origin.closed_at < problem.recorded_at <= origin.closed_at + dt.timedelta(days=90)


def _base_problems():
    from inspections.models import Finding

    return Problem.objects.exclude(pk__in=Finding.objects.values("problem_id"))


def test_the_trail_carries_the_campaigns_history(demo, db):
    first = Problem.objects.get(sequence=1)
    assert first.number == "2026-000001"
    # People's steps; the worker's reminders and escalations (a level) follow them up to today.
    times = ProblemEvent.objects.filter(level__isnull=True).values_list("at", flat=True)
    assert min(times) >= dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    assert max(times) <= dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    chased = ProblemEvent.objects.filter(level__isnull=False)
    assert chased.exists() and max(chased.values_list("at", flat=True)) <= timezone.now()
    for problem in Problem.objects.filter(escalation__isnull=False)[:50]:
        steps = list(problem.events.order_by("seq").values_list("at", flat=True))
        assert steps == sorted(steps), problem.number  # an escalation never precedes the step before it
    # Numbers follow the order in which problems were recorded (the inspection plans' findings
    # are recorded afterwards with their own historic dates, so they are left out here).
    recorded = list(_base_problems().order_by("sequence").values_list("recorded_at", flat=True))
    assert recorded == sorted(recorded)


# ---- the accounts --------------------------------------------------------------------------


def test_the_command_prints_the_demo_accounts(demo):
    for username, role in DEMO_ACCOUNTS.items():
        assert username in demo
        assert role in demo
    assert PASSWORD in demo


def test_each_demo_account_has_its_role_and_every_other_person_cannot_sign_in(demo, db):
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_ACCOUNTS)}
    assert set(users) == set(DEMO_ACCOUNTS)
    assert all(user.check_password(PASSWORD) for user in users.values())
    assert access.actor_for(users["office"]).office
    leader = access.actor_for(users["leader"])
    assert leader.sees_all and not leader.office
    assert access.actor_for(users["inspector"]).inspector
    first_office = Unit.objects.get(code="SD01")
    for username, role in [("liaison", "liaison"), ("head", "head"), ("deputy", "deputy"), ("viewer", "viewer")]:
        assert list(users[username].memberships.values_list("unit", "role")) == [(first_office.pk, role)]
    administrators = [(users[name].admin_role, users[name].is_superuser) for name in ("admin", "security", "auditor")]
    assert administrators == [("system", False), ("security", False), ("audit", False)]
    assert not any(users[name].memberships.exists() for name in ("admin", "security", "auditor"))
    others = User.objects.exclude(username__in=DEMO_ACCOUNTS)
    assert others.exists()
    assert not any(user.has_usable_password() for user in others)


# ---- idempotence and determinism -----------------------------------------------------------


def test_a_second_run_says_the_demo_is_there_and_changes_nothing(demo, db):
    before = (Problem.objects.count(), ProblemEvent.objects.count(), User.objects.count(), Site.objects.count())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "演示数据已存在" in out.getvalue()
    assert (Problem.objects.count(), ProblemEvent.objects.count(), User.objects.count(), Site.objects.count()) == before


def test_two_loads_into_fresh_databases_give_the_same_district(demo, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = digest()
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not Problem.objects.exists()
    demo_load()
    assert digest() == first


def test_the_demo_refuses_a_database_that_holds_other_data(demo, db):
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    Unit.objects.create(code="X", name="某真实单位", kind=Unit.Kind.DEPARTMENT)
    with pytest.raises(CommandError, match="只能装入空数据库"):
        call_command("demo", stdout=io.StringIO())
    assert not User.objects.exists()


# ---- the audit -----------------------------------------------------------------------------


def test_the_audit_passes_on_the_demo_and_says_what_it_checked(demo, db):
    output = audit_output()
    assert f"问题 {Problem.objects.count()}" in output
    assert f"问题记录 {ProblemEvent.objects.count()}" in output
    assert f"台账任务 {Task.objects.count()}" in output
    assert "标准条目" in output
    assert "销号须经非责任单位人员复核" in output
    assert "未发现不一致" in output


def test_bulk_problems_are_added_and_pass_the_audit(demo, db):
    problems, sites = Problem.objects.count(), Site.objects.count()
    last = Problem.objects.order_by("-sequence").first().sequence
    out = io.StringIO()
    call_command("demo", problems=2000, stdout=out)
    assert "已批量追加问题 2000 个" in out.getvalue()
    assert Problem.objects.count() == problems + 2000
    assert Site.objects.count() == sites + 400
    added = Problem.objects.filter(sequence__gt=last)
    assert sorted(added.values_list("sequence", flat=True)) == list(range(last + 1, last + 2001))
    # Every status but 已合并: a merge needs a survivor, which the bulk walk leaves to the services.
    assert set(added.values_list("status", flat=True)) == set(Status.values) - {Status.MERGED}
    assert ProblemEvent.objects.filter(problem__in=added, action=Action.RETURN).exists()
    assert ProblemEvent.objects.filter(problem__in=added, action=Action.REASSIGN).exists()
    assert f"问题 {problems + 2000}" in audit_output()


def test_the_audit_names_a_problem_whose_status_was_changed_behind_the_services_back(demo, db):
    problem = Problem.objects.filter(status=Status.CLOSED).order_by("sequence").first()
    Problem.objects.filter(pk=problem.pk).update(status=Status.ASSIGNED)
    output = audit_failure()
    assert f"问题 {problem.number}：状态为「整改中」，但按处理记录应为「已销号」" in output


def test_the_audit_names_a_problem_closed_by_its_own_unit(demo, db):
    close = ProblemEvent.objects.filter(action=Action.CLOSE).select_related("problem").order_by("pk").first()
    own = Membership.objects.filter(unit=close.unit, role=Membership.Role.LIAISON).get().user
    dba.update(ProblemEvent.objects.filter(pk=close.pk), actor=own)
    output = audit_failure()
    assert f"问题 {close.problem.number}：由责任单位自己的人员销号" in output


def test_the_audit_names_a_task_whose_responsible_left_the_unit(demo, db):
    task = Task.objects.order_by("pk").first()
    Membership.objects.filter(user=task.responsible, unit=task.lead_unit).delete()
    output = audit_failure()
    assert (
        f"任务 #{task.pk}「{task.title}」：责任人 {task.responsible} 不是责任单位「{task.lead_unit}」的成员" in output
    )


def test_the_audit_names_a_task_due_after_its_milestone(demo, db):
    task = Task.objects.select_related("milestone").order_by("pk").first()
    Task.objects.filter(pk=task.pk).update(deadline=task.milestone.due_on + dt.timedelta(days=1))
    assert f"任务 #{task.pk}「{task.title}」：完成期限" in audit_failure()
