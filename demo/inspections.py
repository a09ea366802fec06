"""Inspections for the demo district, after `demo.district.demo_load()` has built it.

`load_inspection_demo(campaign)` adds three plans, through the same services the screens and the
phone use, each step at a realistic moment (`core.clock.frozen_at`):

1. 「十月明查复核」: an open, scheduled plan in October, drawn, every site inspected, problems
   assigned to their units, results published.
2. 「十一月第四周暗访」: a covert spot check in the last week of November, drawn, mostly inspected,
   NOT published: the sub-districts' people cannot see it (sign in as `liaison` to check).
3. 「今日定期督查」: a scheduled plan whose window covers the day the demo is loaded, with sites in
   the first sub-district, for the demo `inspector` account's "today" page (sign in on a phone).

Deterministic: fixed seeds for the draws, one `random.Random(SEED)` for every result, photo and
position. Only the third plan's dates follow the calendar, so that its sites are "today's".
Calling it again changes nothing."""

import datetime as dt
import io
import random
import uuid
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from core import clock
from core.models import Attachment
from inspections import services
from inspections.models import CheckResult, InspectionPlan, InspectionSchedule
from inspections.services import routine
from organisation.models import Area, Membership, User
from problems import services as loop
from standard.models import SiteType

SEED = 20261123
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A namespace for the demo's phone ids: the same demo gives the same ids.
CLIENT_IDS = uuid.UUID("7c1b0d2e-55a4-4c55-9d7e-2a6f0c0e2026")

OPEN_PLAN = "十月明查复核"
COVERT_PLAN = "十一月第四周暗访"
TODAY_PLAN = "今日定期督查"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _photo(rng: random.Random, label: str) -> bytes:
    """A small, plausible scene: ground, a wall, a bin; coloured per photo."""
    width, height = 1280, 960
    image = Image.new("RGB", (width, height), (150 + rng.randrange(60), 150 + rng.randrange(50), 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle([(0, height * 2 // 3), (width, height)], fill=(110, 105, 95))
    x = rng.randrange(200, 900)
    draw.rectangle([(x, 420), (x + 180, 700)], fill=(40 + rng.randrange(60), 110, 60))
    for _ in range(12):
        cx, cy = rng.randrange(width), rng.randrange(height * 2 // 3, height)
        draw.ellipse([(cx, cy), (cx + 30, cy + 18)], fill=(200, 190, 170))
    draw.text((20, 20), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


class _Loader:
    def __init__(self, campaign):
        self.campaign = campaign
        self.rng = random.Random(SEED)
        self.office = User.objects.get(username="office")
        self.inspector = User.objects.get(username="inspector")
        own_unit = Membership.objects.filter(user=self.inspector, role=Membership.Role.INSPECTOR).values("unit")
        partner = (
            Membership.objects.filter(role=Membership.Role.INSPECTOR, unit__is_active=True)
            .exclude(unit__in=own_unit)
            .order_by("unit__code", "user__username")
            .select_related("user")
            .first()
        )
        self.partner = partner.user
        self.subdistricts = list(Area.objects.filter(kind=Area.Kind.SUBDISTRICT).order_by("code"))
        self.types = {t.code: t for t in SiteType.objects.all()}
        self.sequence = 0

    def client_id(self) -> uuid.UUID:
        self.sequence += 1
        return uuid.uuid5(CLIENT_IDS, str(self.sequence))

    def routine(self) -> None:
        """Long-term management: one weekly rule set up on 2 November, and its plan for the demo's
        last week drawn on Monday 23 November with a fixed seed. Live, the worker makes the plan
        of the real current week on its first hourly run."""
        with clock.frozen_at(_at(dt.date(2026, 11, 2), 9)):
            schedule = routine.schedule_create(
                actor=self.office,
                campaign=self.campaign,
                name=ROUTINE_SCHEDULE,
                period=InspectionSchedule.Period.WEEKLY,
                rule=InspectionSchedule.Rule.SAMPLE,
                count=1,
                interval_weeks=None,
                mode=InspectionPlan.Mode.OPEN,
                window_days=5,
                is_active=True,
                site_types=[self.types["back_street"], self.types["farmers_market"]],
                areas=self.subdistricts,
                members=[self.inspector, self.partner],
            )
        with clock.frozen_at(_at(dt.date(2026, 11, 23), 7)):
            routine.schedule_plan(schedule=schedule, seed="20261123")

    def plan(self, *, name, kind, mode, starts_on, ends_on, areas, counts, seed, made_at) -> InspectionPlan:
        with clock.frozen_at(made_at):
            plan = services.plan_create(
                actor=self.office,
                campaign=self.campaign,
                name=name,
                kind=kind,
                mode=mode,
                starts_on=starts_on,
                ends_on=ends_on,
                areas=areas,
                counts={self.types[code]: n for code, n in counts.items()},
                members=[self.inspector, self.partner],
                exclude_recent_days=30,
            )
        with clock.frozen_at(made_at + dt.timedelta(minutes=20)):
            services.sample_draw(actor=self.office, plan=plan, seed=seed)
        return plan

    def inspect(self, plan: InspectionPlan, target, moment: dt.datetime) -> list:
        """One visit: results for the whole checklist, a problem with a photo for each failure."""
        rng, site = self.rng, target.site
        who = self.inspector if rng.random() < 0.6 else self.partner
        checklist = services.checklist(site)
        results = []
        for checkpoint in checklist:
            roll = rng.random()
            result = CheckResult.Result.FAIL if roll < 0.12 else CheckResult.Result.NA if roll < 0.18 else "pass"
            results.append((checkpoint, result))
        lat = lng = None
        if site.latitude is not None:
            lat = site.latitude + Decimal(rng.randrange(-40, 40)) / 1_000_000
            lng = site.longitude + Decimal(rng.randrange(-40, 40)) / 1_000_000
        with clock.frozen_at(moment + dt.timedelta(minutes=45)):
            inspection, _ = services.inspection_submit(
                actor=who,
                client_id=self.client_id(),
                plan=plan,
                site=site,
                started_at=moment,
                submitted_at=moment + dt.timedelta(minutes=rng.randrange(8, 25)),
                results=[(c.pk, r, "现场发现问题" if r == "fail" else "") for c, r in results],
                latitude=lat,
                longitude=lng,
                accuracy_m=rng.randrange(5, 30),
            )
            problems = []
            for checkpoint, result in results:
                if result != CheckResult.Result.FAIL:
                    continue
                finding, _ = services.finding_record(
                    actor=who,
                    client_id=self.client_id(),
                    inspection_client_id=inspection.client_id,
                    checkpoint_id=checkpoint.pk,
                    description=f"{site.name}：{checkpoint.name}，不符合要求",
                    latitude=lat,
                    longitude=lng,
                )
                data = _photo(rng, site.code)
                services.photo_store(
                    actor=who,
                    client_id=self.client_id(),
                    inspection_client_id=inspection.client_id,
                    problem_client_id=finding.client_id,
                    sha256=Attachment.hash_of(data),
                    name=f"IMG_{moment:%Y%m%d}_{self.sequence:04d}.jpg",
                    data=data,
                    taken_at=moment + dt.timedelta(minutes=3),
                    latitude=lat,
                    longitude=lng,
                )
                problems.append(finding.problem)
        return problems

    def run(self, today: dt.date) -> dict[str, InspectionPlan]:
        october = self.plan(
            name=OPEN_PLAN,
            kind=InspectionPlan.Kind.SCHEDULED,
            mode=InspectionPlan.Mode.OPEN,
            starts_on=dt.date(2026, 10, 12),
            ends_on=dt.date(2026, 10, 16),
            areas=self.subdistricts[:3],
            counts={"back_street": 2, "farmers_market": 1},
            seed="20261009",
            made_at=_at(dt.date(2026, 10, 9), 15),
        )
        found = []
        for index, target in enumerate(october.targets.select_related("site").order_by("stratum", "position")):
            day = dt.date(2026, 10, 12) + dt.timedelta(days=index % 5)
            found += self.inspect(october, target, _at(day, 9 + index % 6, 10))
        with clock.frozen_at(_at(dt.date(2026, 10, 19), 10)):
            october.refresh_from_db()  # the team's first inspection started it
            services.plan_publish(actor=self.office, plan=october)
            for problem in found:
                loop.problem_assign(
                    actor=self.office,
                    problem=problem,
                    unit=problem.site.owner_unit,
                    deadline=dt.date(2026, 11, 2),
                    note="十月明查发现，限期整改",
                )

        covert = self.plan(
            name=COVERT_PLAN,
            kind=InspectionPlan.Kind.SPOT_CHECK,
            mode=InspectionPlan.Mode.COVERT,
            starts_on=dt.date(2026, 11, 23),
            ends_on=dt.date(2026, 11, 27),
            areas=self.subdistricts[:4],
            counts={"back_street": 2, "residential_compound": 1, "farmers_market": 1},
            seed="20261120",
            made_at=_at(dt.date(2026, 11, 20), 16),
        )
        targets = list(covert.targets.select_related("site").order_by("stratum", "position"))
        for index, target in enumerate(targets[: len(targets) * 3 // 4]):
            day = dt.date(2026, 11, 23) + dt.timedelta(days=index % 5)
            self.inspect(covert, target, _at(day, 9 + index % 7, 30))

        daily = self.plan(
            name=TODAY_PLAN,
            kind=InspectionPlan.Kind.SCHEDULED,
            mode=InspectionPlan.Mode.OPEN,
            starts_on=today,
            ends_on=today + dt.timedelta(days=2),
            areas=self.subdistricts[:1],
            counts={"back_street": 3, "farmers_market": 1},
            seed="20261128",
            made_at=min(_at(today, 8), clock.now()),
        )
        self.routine()
        plans = {"open": october, "covert": covert, "today": daily}
        return {role: InspectionPlan.objects.get(pk=plan.pk) for role, plan in plans.items()}


ROUTINE_SCHEDULE = "每周背街小巷与农贸市场明查"


def load_inspection_demo(campaign, *, today: dt.date | None = None) -> dict[str, InspectionPlan] | None:
    """Add the demo's inspection plans to the demo district. Returns them by role ("open",
    "covert", "today"), or None when they are there already. `today` is the day the third plan is
    for: the real date unless given (the phone page shows the sites of the real today)."""
    if InspectionPlan.objects.filter(campaign=campaign, name__in=[OPEN_PLAN, COVERT_PLAN]).exists():
        return None
    today = today or timezone.localdate()
    with transaction.atomic():
        return _Loader(campaign).run(today)
