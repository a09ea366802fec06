"""Random, stratified, auditable sampling (inspections.sampling, services.sample_draw).

The rule: per stratum (site type × sub-district) the candidates are the active sites inside the
sub-district, minus those inspected within the plan's exclusion window, sorted by code; the draw
is `random.Random(f"{seed}/{stratum key}").sample(candidates, count)`. The same seed gives the same
sites, every site of a stratum is equally likely, and the stored draw is enough to repeat it."""

import datetime as dt
import random
import uuid
from collections import Counter

import pytest

from conftest import TODAY
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from inspections import sampling, services
from inspections.models import Inspection, InspectionPlan, PlanEvent, PlanSite, SampleDraw
from inspections.tests.helpers import drawn_plan, make_plan, submit, with_checklist
from organisation.models import Area
from tests.factories import AreaFactory, SiteFactory, SiteTypeFactory

CODES = [f"BS-{n:04d}" for n in range(1, 13)]

# ---- the pure draw ---------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_sites():
    assert sampling.draw_stratum("123", "D01-01/back_street", CODES, 4) == sampling.draw_stratum(
        "123", "D01-01/back_street", list(reversed(CODES)), 4
    )


def test_the_draw_is_the_documented_python_one_liner():
    expected = random.Random("123/D01-01/back_street").sample(sorted(CODES), 4)
    assert sampling.draw_stratum("123", "D01-01/back_street", CODES, 4) == expected


def test_different_seeds_draw_different_sites():
    draws = {tuple(sampling.draw_stratum(str(seed), "k", CODES, 4)) for seed in range(50)}
    assert len(draws) > 45


def test_a_draw_has_no_repeats_and_takes_all_when_the_stratum_is_short():
    assert len(set(sampling.draw_stratum("1", "k", CODES, 12))) == 12
    assert sorted(sampling.draw_stratum("1", "k", CODES[:3], 5)) == CODES[:3]
    assert sampling.draw_stratum("1", "k", [], 5) == []


def test_strata_are_drawn_independently_of_each_other():
    """A stratum's sites depend on the seed and its own key only, so adding a stratum to a plan
    never changes what another stratum draws."""
    alone = sampling.draw_repeat("7", [{"key": "A/x", "count": 3, "candidates": [{"code": c} for c in CODES]}])
    together = sampling.draw_repeat(
        "7",
        [
            {"key": "A/x", "count": 3, "candidates": [{"code": c} for c in CODES]},
            {"key": "B/y", "count": 2, "candidates": [{"code": c} for c in CODES]},
        ],
    )
    assert together["A/x"] == alone["A/x"]


def test_every_site_of_a_stratum_is_equally_likely():
    """20,000 draws of 4 of 12 sites with the seeds 0..19999: each site should come up 6,666.7
    times. Pearson's chi-square with 11 degrees of freedom stays below 31.26, the 0.1 % critical
    value. Deterministic: the seeds are fixed, so this never flakes; it would fail for a biased
    draw (say, one that favours the first codes)."""
    draws, count = 20_000, 4
    tally = Counter()
    for seed in range(draws):
        tally.update(sampling.draw_stratum(str(seed), "D01-01/back_street", CODES, count))
    expected = draws * count / len(CODES)
    chi_square = sum((tally[code] - expected) ** 2 / expected for code in CODES)
    assert sum(tally.values()) == draws * count
    assert chi_square < 31.26
    # and each site's frequency is within 3 % of the expected one
    assert all(abs(tally[code] - expected) / expected < 0.03 for code in CODES)


def test_the_chi_square_check_catches_a_biased_draw():
    """The same statistic on a draw that prefers the first half of the list fails: the test above
    has teeth."""
    tally = Counter()
    for seed in range(20_000):
        rng = random.Random(seed)
        pool = CODES[:6] * 3 + CODES[6:]
        picked = []
        while len(picked) < 4:
            code = rng.choice(pool)
            if code not in picked:
                picked.append(code)
        tally.update(picked)
    expected = 20_000 * 4 / 12
    assert sum((tally[c] - expected) ** 2 / expected for c in CODES) > 31.26


# ---- the draw of a plan ------------------------------------------------------------------------


@pytest.fixture
def district(world):
    """Two sub-districts: 东城 (the world's, with 10 more back streets in two communities, one of
    them inactive, and 3 farmers' markets) and 西城 (4 back streets)."""
    with_checklist(world)
    market = SiteTypeFactory(code="farmers_market", name="农贸市场")
    other_community = AreaFactory(code="D01-01-02", name="和平社区", kind=Area.Kind.COMMUNITY, parent=world.east)
    west = AreaFactory(code="D01-02", name="西城街道", kind=Area.Kind.SUBDISTRICT, parent=world.district)
    west_community = AreaFactory(code="D01-02-01", name="西城社区", kind=Area.Kind.COMMUNITY, parent=west)
    for n in range(3, 13):
        SiteFactory(
            code=f"BS-{n:04d}",
            area=world.community if n % 2 else other_community,
            owner_unit=world.unit_a,
            is_active=n != 12,
        )
    for n in range(1, 4):
        SiteFactory(code=f"FM-{n:04d}", site_type=market, area=world.community, owner_unit=world.unit_a)
    for n in range(1, 5):
        SiteFactory(code=f"WS-{n:04d}", area=west_community, owner_unit=world.unit_a)
    world.west, world.market = west, market
    return world


def plan_over(world, *, counts, areas, exclude_recent_days=0):
    return services.plan_create(
        actor=world.office,
        campaign=world.campaign,
        name="六月抽查",
        kind=InspectionPlan.Kind.SPOT_CHECK,
        mode=InspectionPlan.Mode.OPEN,
        starts_on=TODAY.date(),
        ends_on=TODAY.date() + dt.timedelta(days=3),
        areas=areas,
        counts=counts,
        members=[world.inspector, world.office],
        exclude_recent_days=exclude_recent_days,
    )


def test_a_draw_records_its_seed_candidates_and_result_and_can_be_repeated(district):
    world = district
    back_street = world.site.site_type
    plan = plan_over(world, counts={back_street: 5, world.market: 2}, areas=[world.east, world.west])

    draw = services.sample_draw(actor=world.office, plan=plan, seed="8848")

    assert draw.seed == "8848"
    assert draw.algorithm == sampling.ALGORITHM
    assert [s["key"] for s in draw.strata] == [
        "D01-01/back_street",
        "D01-01/farmers_market",
        "D01-02/back_street",
        "D01-02/farmers_market",
    ]
    east_streets = draw.strata[0]
    # BS-0001, BS-0002 and BS-0003..0011 (BS-0012 is inactive), sorted by code
    assert [c["code"] for c in east_streets["candidates"]] == [f"BS-{n:04d}" for n in range(1, 12)]
    assert [c["code"] for c in draw.strata[1]["candidates"]] == ["FM-0001", "FM-0002", "FM-0003"]
    assert [c["code"] for c in draw.strata[2]["candidates"]] == ["WS-0001", "WS-0002", "WS-0003", "WS-0004"]
    assert draw.strata[3]["candidates"] == [] and draw.strata[3]["shortfall"] == 2
    # what was drawn is what the documented one-liner gives, and what the plan now targets
    repeated = sampling.draw_repeat(draw.seed, draw.strata)
    assert {s["key"]: [d["code"] for d in s["drawn"]] for s in draw.strata} == repeated
    assert repeated["D01-01/back_street"] == random.Random("8848/D01-01/back_street").sample(
        [f"BS-{n:04d}" for n in range(1, 12)], 5
    )
    targets = sorted(PlanSite.objects.filter(plan=plan).values_list("site__code", flat=True))
    assert targets == sorted(code for codes in repeated.values() for code in codes)
    assert len(targets) == 5 + 2 + 4
    plan.refresh_from_db()
    assert plan.status == InspectionPlan.Status.SAMPLED
    assert list(plan.events.values_list("action", "to_status", "note")) == [
        ("create", "draft", ""),
        ("draw", "sampled", "随机种子：8848"),
    ]


def test_the_same_seed_gives_the_same_sites_in_another_plan(district):
    world = district
    counts = {world.site.site_type: 4}
    first = plan_over(world, counts=counts, areas=[world.east])
    second = plan_over(world, counts=counts, areas=[world.east])
    services.sample_draw(actor=world.office, plan=first, seed="same")
    services.sample_draw(actor=world.office, plan=second, seed="same")

    def sites(plan):
        return list(PlanSite.objects.filter(plan=plan).order_by("position").values_list("site__code", flat=True))

    assert sites(first) == sites(second)


def test_without_a_seed_one_is_made_and_recorded(district):
    world = district
    plan = plan_over(world, counts={world.site.site_type: 2}, areas=[world.east])
    draw = services.sample_draw(actor=world.office, plan=plan)
    assert len(draw.seed) == 12 and draw.seed.isdigit()


def test_sites_inspected_within_the_window_are_excluded_and_recorded(district, frozen_today):
    world = district
    open_plan = drawn_plan(world, mode=InspectionPlan.Mode.OPEN, count=11, seed="1")
    # BS-0001 inspected 3 days ago, BS-0002 10 days ago
    frozen_today.move_to(TODAY - dt.timedelta(days=10))
    submit(world, open_plan, site=world.site_b, at=TODAY - dt.timedelta(days=10))
    frozen_today.move_to(TODAY - dt.timedelta(days=3))
    submit(world, open_plan, site=world.site, at=TODAY - dt.timedelta(days=3))
    frozen_today.move_to(TODAY)

    plan = plan_over(world, counts={world.site.site_type: 20}, areas=[world.east], exclude_recent_days=7)
    draw = services.sample_draw(actor=world.office, plan=plan, seed="2")

    stratum = draw.strata[0]
    assert stratum["excluded"] == [{"id": world.site.pk, "code": "BS-0001", "last_inspected": "2026年5月9日"}]
    assert "BS-0001" not in [c["code"] for c in stratum["candidates"]]
    assert "BS-0002" in [c["code"] for c in stratum["candidates"]]
    assert draw.excluded_since == TODAY - dt.timedelta(days=7)
    assert not PlanSite.objects.filter(plan=plan, site=world.site).exists()
    assert PlanSite.objects.filter(plan=plan).count() == 10  # everything but BS-0001 and BS-0012
    assert sampling.draw_repeat(draw.seed, draw.strata)["D01-01/back_street"] == [d["code"] for d in stratum["drawn"]]


def test_without_an_exclusion_window_recent_sites_stay_in(district):
    world = district
    open_plan = drawn_plan(world, mode=InspectionPlan.Mode.OPEN, count=11, seed="1")
    submit(world, open_plan, site=world.site)
    plan = plan_over(world, counts={world.site.site_type: 20}, areas=[world.east])
    draw = services.sample_draw(actor=world.office, plan=plan, seed="2")
    assert draw.strata[0]["excluded"] == []
    assert PlanSite.objects.filter(plan=plan, site=world.site).exists()


def test_a_plan_is_drawn_once(world):
    with_checklist(world)
    plan = drawn_plan(world)
    targets = list(PlanSite.objects.filter(plan=plan).values_list("site_id", flat=True))
    with pytest.raises(IllegalTransition, match="不能「随机抽样」"):
        services.sample_draw(actor=world.office, plan=plan, seed="another")
    assert SampleDraw.objects.filter(plan=plan).count() == 1
    assert list(PlanSite.objects.filter(plan=plan).values_list("site_id", flat=True)) == targets


@pytest.mark.parametrize("persona", ["inspector", "leader", "office_viewer", "liaison_a", "outsider"])
def test_only_the_office_draws(world, persona):
    with_checklist(world)
    plan = make_plan(world)
    with pytest.raises(NotAllowed):
        services.sample_draw(actor=getattr(world, persona), plan=plan, seed="1")
    assert (SampleDraw.objects.count(), PlanSite.objects.count(), PlanEvent.objects.filter(action="draw").count()) == (
        0,
        0,
        0,
    )


def test_a_seed_must_be_short_printable_text(world):
    plan = make_plan(world)
    with pytest.raises(InvalidInput, match="随机种子"):
        services.sample_draw(actor=world.office, plan=plan, seed="x" * 65)
    with pytest.raises(InvalidInput, match="随机种子"):
        services.sample_draw(actor=world.office, plan=plan, seed="a\nb")
    assert SampleDraw.objects.count() == 0


def test_inspections_stored_before_a_draw_count_from_their_submission_time(district):
    """Exclusion reads when the inspection was made on the phone (submitted_at), not when it
    reached the server: an inspection synced late still excludes its site."""
    world = district
    open_plan = drawn_plan(world, mode=InspectionPlan.Mode.OPEN, count=11, seed="1")
    inspection = submit(world, open_plan, site=world.site, client_id=uuid.uuid4(), at=TODAY - dt.timedelta(days=2))
    assert Inspection.objects.get(pk=inspection.pk).received_at == TODAY
    plan = plan_over(world, counts={world.site.site_type: 20}, areas=[world.east], exclude_recent_days=1)
    draw = services.sample_draw(actor=world.office, plan=plan, seed="3")
    assert draw.strata[0]["excluded"] == []
    plan = plan_over(world, counts={world.site.site_type: 20}, areas=[world.east], exclude_recent_days=3)
    draw = services.sample_draw(actor=world.office, plan=plan, seed="3")
    assert [e["code"] for e in draw.strata[0]["excluded"]] == ["BS-0001"]
