"""Duplicates (issue 15): the open problems shown when one is recorded, linking a report to one of
them instead of a new number, the 疑似重复 link and filter, and 合并 as a step of the closed loop.

The conftest world's two sites, 幸福巷 and 建设路农贸市场, stand at the same point; the tests move
sites where they need a distance."""

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.checks import audit
from core import geo
from core.errors import IllegalTransition, InvalidInput, NotAllowed, StaleObject
from core.models import Attachment
from problems import kpi, selectors, services
from problems.models import Problem
from problems.signals import problem_merged
from problems.states import Action, Status
from problems.tests.helpers import (
    DEADLINE,
    assigned_problem,
    cancelled_problem,
    closed_problem,
    photo,
    recorded_problem,
    snapshot,
    submitted_problem,
    trail,
)
from tests.factories import CampaignFactory, CriterionFactory, SiteFactory, jpeg_bytes

LAT, LNG = 34.757000, 113.665000
METRE = 1 / 111_320  # of latitude, in degrees


def site_north_of(world, metres: float, **fields):
    """A site `metres` north of 幸福巷 (of the same type, in the same community)."""
    return SiteFactory(
        latitude=f"{LAT + metres * METRE:.6f}",
        longitude=f"{LNG:.6f}",
        site_type=world.site.site_type,
        area=world.community,
        owner_unit=fields.pop("owner_unit", world.unit_a),
        **fields,
    )


def candidates(world, *, user=None, site=None, criterion=None, **options):
    return [
        p.number
        for p in selectors.possible_duplicates(
            world.campaign,
            site or world.site,
            criterion or world.checkpoint,
            user=user or world.office,
            **options,
        )
    ]


@pytest.fixture
def apart(world):
    """建设路农贸市场 moved 2 km away, so that only the sites a test places are near 幸福巷."""
    world.site_b.latitude = f"{LAT + 2000 * METRE:.6f}"
    world.site_b.save(update_fields=["latitude"])
    return world


# ---- the selector ----------------------------------------------------------------------------


def test_an_open_problem_at_the_same_site_and_criterion_is_a_candidate(apart):
    world = apart
    problem = assigned_problem(world)
    found = selectors.possible_duplicates(world.campaign, world.site, world.checkpoint, user=world.office)
    assert [(p.number, p.distance_m) for p in found] == [(problem.number, 0.0)]


def test_every_open_state_is_a_candidate_and_no_final_one(apart):
    world = apart
    open_ones = [recorded_problem(world), assigned_problem(world), submitted_problem(world)]
    closed_problem(world)
    cancelled_problem(world)
    merged = recorded_problem(world)
    services.problem_merge(actor=world.office, problem=merged, into=open_ones[0], reason="同一问题")
    assert candidates(world) == [p.number for p in open_ones]


def test_within_the_distance_yes_beyond_it_no(apart):
    world = apart
    near = site_north_of(world, 40, name="幸福巷东口")
    far = site_north_of(world, 60, name="幸福巷北口")
    assert 39 < geo.distance_m(LAT, LNG, float(near.latitude), LNG) < 41
    assert 59 < geo.distance_m(LAT, LNG, float(far.latitude), LNG) < 61
    at_near = recorded_problem(world, site=near)
    recorded_problem(world, site=far)
    found = selectors.possible_duplicates(world.campaign, world.site, world.checkpoint, user=world.office)
    assert [p.number for p in found] == [at_near.number]
    assert 39 < found[0].distance_m < 41


def test_the_distance_is_a_setting(apart, settings):
    world = apart
    far = site_north_of(world, 60)
    at_far = recorded_problem(world, site=far)
    settings.DUPLICATE_DISTANCE_M = 100
    assert candidates(world) == [at_far.number]


def test_another_criterion_is_not_a_candidate(apart):
    world = apart
    other = CriterionFactory(
        standard=world.campaign.standard, code="3.2.2", name="垃圾桶无满溢", parent=world.criterion
    )
    recorded_problem(world, criterion=other)
    recorded_problem(world, site=site_north_of(world, 10), criterion=other)
    assert candidates(world) == []


def test_another_campaigns_problem_is_not_a_candidate(apart):
    world = apart
    older = CampaignFactory(name="上一轮创卫", standard=world.campaign.standard, year=2025)
    services.problem_record(
        actor=world.office, campaign=older, site=world.site, criterion=world.checkpoint, description="去年的"
    )
    assert candidates(world) == []


def test_the_nearest_come_first_and_the_list_is_bounded(apart):
    world = apart
    at_30 = recorded_problem(world, site=site_north_of(world, 30))
    at_10 = recorded_problem(world, site=site_north_of(world, 10))
    here = recorded_problem(world)
    assert candidates(world) == [here.number, at_10.number, at_30.number]
    assert candidates(world, limit=2) == [here.number, at_10.number]
    assert candidates(world, exclude=here) == [at_10.number, at_30.number]


def test_a_point_given_is_used_instead_of_the_sites(apart):
    world = apart
    there = site_north_of(world, 500)
    at_there = recorded_problem(world, site=there)
    # A citizen's tap 20 m from that site, reported against 幸福巷 (say, the nearest site known).
    assert candidates(world, lat=float(there.latitude) + 20 * METRE, lng=LNG) == [at_there.number]
    assert candidates(world) == []


def test_a_site_without_coordinates_finds_only_its_own(apart):
    world = apart
    nowhere = SiteFactory(latitude=None, longitude=None, site_type=world.site.site_type, area=world.community)
    own = recorded_problem(world, site=nowhere)
    recorded_problem(world, site=site_north_of(world, 5))
    assert candidates(world, site=nowhere) == [own.number]


def test_candidates_are_scoped_to_what_the_person_may_see(apart):
    world = apart
    theirs = assigned_problem(world, unit=world.unit_b, site=site_north_of(world, 10))
    ours = assigned_problem(world)
    assert candidates(world, user=world.liaison_a) == [ours.number]
    assert candidates(world, user=world.liaison_b) == [theirs.number]
    assert candidates(world, user=world.outsider) == []
    assert candidates(world, user=world.inspector) == [ours.number, theirs.number]


def test_the_candidates_are_read_from_the_index_whatever_the_data(apart, django_assert_max_num_queries):
    world = apart
    for _ in range(5):
        recorded_problem(world)
    with django_assert_max_num_queries(2):
        candidates(world)


# ---- recording beside an open problem --------------------------------------------------------


def test_a_problem_recorded_anyway_keeps_a_link_to_the_nearest_open_one(apart):
    world = apart
    first = recorded_problem(world)
    second = recorded_problem(world, site=site_north_of(world, 20))
    assert (first.resembles, second.resembles) == (None, first)
    assert trail(second)[0][0] == Action.RECORD


def test_the_list_filters_possible_duplicates(client, apart):
    world = apart
    first = recorded_problem(world)
    second = recorded_problem(world)
    recorded_problem(world, site=world.site_b)
    client.force_login(world.office)
    response = client.get(reverse("problems:list"), {"resembles": "on"})
    assert [p.number for p in response.context["page"]] == [second.number]
    assert "疑似重复" in response.content.decode()
    page = client.get(reverse("problems:detail", args=[second.uuid])).content.decode()
    assert f"疑似重复（相似问题 {first.number}）" in page
    page = client.get(reverse("problems:detail", args=[first.uuid])).content.decode()
    assert "与本问题疑似重复的问题：" in page and second.number in page


# ---- the office's record form ----------------------------------------------------------------


def _form(world, **change):
    data = {
        "site": world.site.pk,
        "criterion": world.checkpoint.pk,
        "description": "巷口又见垃圾堆积",
        "severity": Problem.Severity.MINOR,
        "source": Problem.Source.LEADER,
        "submit_key": str(uuid.uuid4()),
    }
    return {**data, **change}


def test_the_fragment_shows_the_candidates_once_site_and_criterion_are_chosen(client, apart):
    world = apart
    open_one = assigned_problem(world)
    client.force_login(world.office)
    url = reverse("problems:duplicates")
    assert client.get(url).content.decode().strip() == ""
    page = client.get(url, {"site": world.site.pk, "criterion": world.checkpoint.pk}).content.decode()
    assert f"记为已有问题 {open_one.number} 的重复" in page
    assert "仍然新建" in page and "同一点位" in page
    page = client.get(url, {"site": world.site_b.pk, "criterion": world.checkpoint.pk}).content.decode()
    assert "没有同一标准条目的未办结问题" in page
    assert client.get(url, {"site": "x", "criterion": "<b>"}).status_code == 200


def test_recording_with_no_candidate_records_a_new_problem(client, apart):
    world = apart
    client.force_login(world.office)
    response = client.post(reverse("problems:new"), _form(world))
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:detail", args=[problem.uuid])
    assert (problem.source, problem.recorded_by, problem.resembles) == (Problem.Source.LEADER, world.office, None)


def test_with_candidates_the_person_must_choose_and_nothing_is_stored_meanwhile(client, apart):
    world = apart
    open_one = assigned_problem(world)
    before = snapshot(open_one)
    client.force_login(world.office)
    response = client.post(reverse("problems:new"), _form(world))
    assert response.status_code == 400
    page = response.content.decode()
    assert "已有疑似重复的问题：请选择记为其中一个的重复，或仍然新建" in page
    assert f"记为已有问题 {open_one.number} 的重复" in page
    assert Problem.objects.count() == 1
    assert snapshot(open_one) == before


def test_linking_to_an_open_problem_records_no_new_number(client, apart):
    world = apart
    open_one = assigned_problem(world)
    client.force_login(world.office)
    picture = SimpleUploadedFile("又拍.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(reverse("problems:new"), _form(world, duplicate=str(open_one.uuid), photos=[picture]))
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:detail", args=[open_one.uuid])
    assert Problem.objects.count() == 1
    event = open_one.events.order_by("-seq").first()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        Action.FOUND_AGAIN,
        world.office,
        Status.ASSIGNED,
        Status.ASSIGNED,
    )
    assert event.note == "登记时记为本问题的重复（来源：领导交办）：巷口又见垃圾堆积"
    assert [a.original_name for a in event.attachments.all()] == ["又拍.jpg"]
    assert [a.original_name for a in open_one.photos.all()] == ["又拍.jpg"]
    page = client.get(response["Location"]).content.decode()
    assert f"已记为问题 {open_one.number} 的重复（再次发现），未新建编号" in page
    assert "再次发现" in page


def test_recording_anyway_makes_a_new_number_that_resembles_the_open_one(client, apart):
    world = apart
    open_one = assigned_problem(world)
    client.force_login(world.office)
    form = _form(world, duplicate="new")
    response = client.post(reverse("problems:new"), form)
    new = Problem.objects.exclude(pk=open_one.pk).get()
    assert response["Location"] == reverse("problems:detail", args=[new.uuid])
    assert new.resembles == open_one
    # The same form sent again (a double click) records nothing more.
    again = client.post(reverse("problems:new"), form)
    assert again["Location"] == response["Location"]
    assert Problem.objects.count() == 2


def test_a_link_to_a_problem_that_is_not_a_candidate_is_not_followed(client, apart):
    world = apart
    open_one = assigned_problem(world)
    elsewhere = recorded_problem(world, site=world.site_b)
    client.force_login(world.office)
    response = client.post(reverse("problems:new"), _form(world, duplicate=str(elsewhere.uuid)))
    assert response.status_code == 400
    assert Problem.objects.count() == 2
    assert [e.action for e in elsewhere.events.all()] == [Action.RECORD]
    assert open_one.events.count() == 2


def test_only_the_office_and_inspectors_record(client, apart):
    world = apart
    for person in (world.liaison_a, world.leader, world.office_viewer):
        client.force_login(person)
        assert client.get(reverse("problems:new")).status_code == 403
        assert client.post(reverse("problems:new"), _form(world)).status_code == 403
        assert client.get(reverse("problems:duplicates")).status_code == 403
    client.force_login(world.inspector)
    assert client.get(reverse("problems:new")).status_code == 200
    assert Problem.objects.count() == 0


def test_found_again_is_refused_on_a_problem_no_longer_open(apart):
    world = apart
    closed = closed_problem(world)
    with pytest.raises(IllegalTransition) as refused:
        services.problem_found_again(actor=world.office, problem=closed, note="又见")
    assert refused.value.message == f"问题 {closed.number} 已「已销号」，不能再记为再次发现，请登记新问题"
    with pytest.raises(NotAllowed):
        services.problem_found_again(actor=world.liaison_a, problem=recorded_problem(world), note="又见")


# ---- merging -----------------------------------------------------------------------------------


@pytest.fixture
def pair(apart):
    """2026-000001 assigned to 东城街道 with a photo; 2026-000002 recorded beside it with two."""
    world = apart
    survivor = assigned_problem(world)
    duplicate = services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="同一处垃圾，又登记了一次",
        photos=[photo("重复1.jpg"), photo("重复2.jpg")],
    )
    return world, survivor, duplicate


def test_the_office_merges_a_duplicate_into_its_survivor(pair, django_capture_on_commit_callbacks):
    world, survivor, duplicate = pair
    files_before = Attachment.objects.count()
    heard = []

    def listen(sender, **kwargs):
        heard.append((kwargs["problem"].number, kwargs["into"].number, kwargs["actor"], kwargs["event"].action))

    problem_merged.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            merged = services.problem_merge(actor=world.office, problem=duplicate, into=survivor, reason="同一处垃圾")
            assert heard == []  # only once committed
    finally:
        problem_merged.disconnect(listen)
    assert heard == [(duplicate.number, survivor.number, world.office, Action.MERGE)]

    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert (merged.status, merged.merged_into, merged.is_final) == (Status.MERGED, survivor, True)
    assert (survivor.status, survivor.assigned_unit, survivor.deadline) == (Status.ASSIGNED, world.unit_a, DEADLINE)
    # The photos are the same files, linked to the survivor; no byte was copied.
    assert Attachment.objects.count() == files_before
    assert sorted(a.original_name for a in survivor.photos.all()) == ["重复1.jpg", "重复2.jpg"]
    assert trail(merged)[-1] == (
        Action.MERGE,
        Status.RECORDED,
        Status.MERGED,
        world.office,
        world.office_unit,
        None,
        "同一处垃圾",
    )
    last = survivor.events.order_by("-seq").first()
    assert (last.action, last.from_status, last.to_status, last.actor) == (
        Action.MERGED_IN,
        Status.ASSIGNED,
        Status.ASSIGNED,
        world.office,
    )
    assert last.note == f"问题 {merged.number} 作为重复问题并入本问题（理由：同一处垃圾）"
    assert sorted(a.original_name for a in last.attachments.all()) == ["重复1.jpg", "重复2.jpg"]


def test_merging_through_the_problem_page(client, pair):
    world, survivor, duplicate = pair
    client.force_login(world.office)
    url = reverse("problems:detail", args=[duplicate.uuid])
    page = client.get(url)
    merge = dict((a.value, f) for a, f in page.context["action_forms"])["merge"]
    assert merge.initial == {"into": survivor.number}  # proposed: the problem it resembles
    response = client.post(
        reverse("problems:act", args=[duplicate.uuid, "merge"]),
        {"into": survivor.number, "note": "同一处", "version": duplicate.version},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert f"问题 {duplicate.number}：已合并" in page
    assert f"本问题已作为重复问题合并到问题 {survivor.number}" in page
    assert "已合并" in page
    page = client.get(reverse("problems:detail", args=[survivor.uuid])).content.decode()
    assert "并入本问题的重复问题：" in page and duplicate.number in page
    assert "并入重复问题" in page
    # The list knows the status and its filter.
    response = client.get(reverse("problems:list"), {"status": "merged"})
    assert [p.number for p in response.context["page"]] == [duplicate.number]
    # Possible duplicates already merged are done: the filter no longer lists them.
    assert list(client.get(reverse("problems:list"), {"resembles": "on"}).context["page"]) == []


def test_a_merge_to_an_unknown_number_is_refused_on_the_page(client, pair):
    world, _survivor, duplicate = pair
    client.force_login(world.office)
    before = snapshot(duplicate)
    response = client.post(
        reverse("problems:act", args=[duplicate.uuid, "merge"]),
        {"into": "2026-000099", "note": "同一处", "version": duplicate.version},
    )
    assert response.status_code == 400
    assert "找不到问题 2026-000099" in response.content.decode()
    response = client.post(
        reverse("problems:act", args=[duplicate.uuid, "merge"]),
        {"into": "第一个", "note": "同一处", "version": duplicate.version},
    )
    assert "请按 2026-000601 的格式填写问题编号" in response.content.decode()
    assert snapshot(duplicate) == before


@pytest.mark.parametrize("person", ["inspector", "leader", "office_viewer", "head_a", "liaison_a", "outsider"])
def test_only_the_office_merges(pair, person):
    world, survivor, duplicate = pair
    before = snapshot(duplicate), snapshot(survivor)
    with pytest.raises(NotAllowed) as refused:
        services.problem_merge(actor=getattr(world, person), problem=duplicate, into=survivor, reason="同一处")
    assert refused.value.message == "您无权对该问题执行「合并」"
    assert (snapshot(duplicate), snapshot(survivor)) == before


def test_merge_refusals_say_why_and_write_nothing(pair):
    world, survivor, duplicate = pair
    other = recorded_problem(world, site=world.site_b)
    services.problem_merge(actor=world.office, problem=other, into=survivor, reason="同一处")
    closed = closed_problem(world, site=world.site_b)
    older = CampaignFactory(name="上一轮创卫", standard=world.campaign.standard, year=2025)
    elsewhere = services.problem_record(
        actor=world.office, campaign=older, site=world.site, criterion=world.checkpoint, description="去年的"
    )
    before = snapshot(duplicate), snapshot(survivor)
    cases = [
        (dict(into=duplicate), InvalidInput, f"问题 {duplicate.number} 不能合并到它自己"),
        (dict(into=other), IllegalTransition, f"问题 {other.number} 已合并到问题 {survivor.number}，不能作为合并目标"),
        (dict(into=closed), IllegalTransition, f"问题 {closed.number} 已「已销号」，只能合并到尚未办结的问题"),
        (dict(into=elsewhere), InvalidInput, "只能合并到同一创卫工作中的问题"),
        (dict(into=survivor, reason=" "), InvalidInput, "「合并」必须填写理由"),
    ]
    for change, error, message in cases:
        arguments = {"actor": world.office, "problem": duplicate, "into": survivor, "reason": "同一处", **change}
        with pytest.raises(error) as refused:
            services.problem_merge(**arguments)
        assert refused.value.message == message
    # A merged problem cannot be merged again; nor can a stale copy be acted on.
    with pytest.raises(IllegalTransition) as refused:
        services.problem_merge(actor=world.office, problem=Problem.objects.get(pk=other.pk), into=survivor, reason="x")
    assert refused.value.message == f"问题 {other.number} 当前为「已合并」，不能「合并」"
    stale = Problem.objects.get(pk=duplicate.pk)
    services.problem_assign(actor=world.office, problem=duplicate, unit=world.unit_a, deadline=DEADLINE)
    with pytest.raises(StaleObject):
        services.problem_merge(actor=world.office, problem=stale, into=survivor, reason="同一处")
    assert snapshot(survivor)["events"] == before[1]["events"]


def test_audit_check_accepts_merges(pair):
    world, survivor, duplicate = pair
    services.problem_merge(actor=world.office, problem=duplicate, into=survivor, reason="同一处")
    other = submitted_problem(world, site=world.site_b)
    services.problem_merge(actor=world.office, problem=other, into=survivor, reason="同一处")
    services.problem_found_again(actor=world.inspector, problem=survivor, note="又见")
    checked = {}
    assert audit(checked=checked) == []
    assert (checked["问题"], checked["问题记录"]) == (3, 11)


def test_the_figures_count_a_merged_problem_neither_as_found_nor_closed(pair):
    world, survivor, duplicate = pair
    services.problem_assign(actor=world.office, problem=duplicate, unit=world.unit_a, deadline=DEADLINE)
    duplicate = Problem.objects.get(pk=duplicate.pk)
    rows = kpi.unit_rows(Problem.objects.all(), as_of=dt.date(2026, 5, 12))
    assert [(r["unit"], r["found"], r["in_hand"]) for r in rows] == [("东城街道", 2, 2)]
    services.problem_merge(actor=world.office, problem=duplicate, into=survivor, reason="同一处")
    rows = kpi.unit_rows(Problem.objects.all(), as_of=dt.date(2026, 5, 12))
    assert [(r["unit"], r["found"], r["in_hand"], r["closed"]) for r in rows] == [("东城街道", 1, 1, 0)]


def test_a_failing_receiver_is_logged_and_the_merge_stands(pair, django_capture_on_commit_callbacks, caplog):
    world, survivor, duplicate = pair

    def broken(sender, **kwargs):
        raise RuntimeError("短信网关不可用")

    problem_merged.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.problem_merge(actor=world.office, problem=duplicate, into=survivor, reason="同一处")
    finally:
        problem_merged.disconnect(broken)
    assert Problem.objects.get(pk=duplicate.pk).status == Status.MERGED
    assert "短信网关不可用" in caplog.text
