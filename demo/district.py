"""The demo district: a realistic, deterministic campaign in Chinese.

`demo_load()` builds 示范区 as it stands on 2026年11月28日, near the end of its re-examination year:
the standard, the area tree with boundaries, the units and their people, 800 sites, the campaign's
milestones, the ledger with progress and five-in-place, and about 600 problems in every state of
the closed loop. Everything after the set-up goes through the same services the screens use,
each call wrapped in `core.clock.frozen_at(moment)`, so the audit trail carries the campaign's
history with realistic times. One `random.Random(SEED)` drives every choice, so two loads give the
same district, numbers and statuses.

The steps (each a method of _Builder, in this order, all in one transaction):
1. load the standard template;            6. campaign and milestones;
2. area tree with GeoJSON boundaries;     7. ledger tasks and progress reports;
3. units;                                 8. five-in-place for every responsible unit;
4. people, memberships, demo accounts;    9. problems, replayed in time order.
5. sites;
"""

import datetime as dt
import io
import random
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from PIL import Image

from campaigns import services as ledger
from campaigns.models import Campaign, FiveInPlace, Milestone, Task
from core import clock
from core.errors import DomainError
from demo import data as words
from demo.inspections import load_inspection_demo
from notifications import rules
from organisation.models import Area, Membership, Unit, User
from problems import reminders
from problems import services as loop
from problems.models import Problem
from problems.states import OPEN, Action, Level, Status
from public.models import ReportCategory
from sites.models import Site
from standard.models import Criterion, SiteType
from standard.services import standard_load

SEED = 20260301
PASSWORD = "chuangwei2026"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CAMPAIGN_NAME = "2026年省级卫生城市届满复审"
CAMPAIGN_YEAR = 2026
# The demo's "now": the data tells the campaign's story up to this moment.
DEMO_TODAY = dt.date(2026, 11, 28)
DEMO_NOW = dt.datetime(2026, 11, 28, 18, 0, tzinfo=SHANGHAI)
PROBLEMS_FROM = dt.date(2026, 3, 1)
DISTRICT_CODE = "SFQ"
DISTRICT_NAME = "示范区"

MILESTONES = [
    ("dossier", "资料申报", "区爱卫办完成资料申报", dt.date(2026, 2, 28)),
    ("mobilisation", "动员部署", "各单位层层动员部署", dt.date(2026, 3, 15)),
    ("compliant", "全面达标", "建机制、上硬件、抓大环境治理", dt.date(2026, 4, 30)),
    ("covert", "通过省级暗访", "巩固达标成果，一次通过暗访", dt.date(2026, 6, 30)),
    ("open", "通过省级明查", "限期整改暗访问题，通过明查", dt.date(2026, 12, 15)),
]

# Site types: code -> (code prefix, how many in the demo).
SITE_TYPES = {
    "back_street": ("BS", 220),
    "residential_compound": ("RC", 200),
    "urban_village": ("UV", 60),
    "urban_rural_fringe": ("UF", 40),
    "farmers_market": ("FM", 30),
    "small_premises": ("SP", 250),
}

# The grid the boundaries are drawn on: sub-districts in rows of five cells around the centre.
CENTRE_LAT, CENTRE_LNG = 34.75, 113.65
CELL_LAT, CELL_LNG = 0.03, 0.036
GRID_COLUMNS = 5

# Demo accounts: fixed username -> role in Chinese. The README prints this table.
DEMO_ACCOUNTS = {
    "office": "爱卫办工作人员",
    "leader": "区领导（只读）",
    "inspector": "督导组成员",
    "liaison": "单位联络员",
    "head": "一把手（第一责任人）",
    "deputy": "分管领导（直接责任人）",
    "viewer": "单位只读人员",
    "admin": "系统管理员",
    "security": "安全管理员",
    "auditor": "审计管理员",
}

PHOTO_COLOURS = [(168, 62, 50), (92, 118, 70), (122, 122, 122), (201, 170, 92)]


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str, str]]  # username, password, role, unit
    counts: dict[str, int] = field(default_factory=dict)


class DemoConflict(DomainError):
    """The database holds data the demo would collide with; nothing was written."""


def demo_is_loaded() -> bool:
    return Campaign.objects.filter(name=CAMPAIGN_NAME, year=CAMPAIGN_YEAR).exists()


def demo_accounts() -> list[tuple[str, str, str, str]]:
    """The demo accounts as (username, password, role, unit), read from the database."""
    rows = []
    for username, role in DEMO_ACCOUNTS.items():
        unit = (
            Membership.objects.filter(user__username=username)
            .order_by("unit__kind", "unit__code")
            .values_list("unit__short_name", "unit__name")
            .first()
        )
        rows.append((username, PASSWORD, role, (unit[0] or unit[1]) if unit else "—"))
    return rows


def demo_load(*, inspection_day: dt.date | None = None) -> DemoResult | None:
    """Load the demo district unless it is there already (then return None and change nothing).

    Refuses (DemoConflict) to mix the demo into a database that already holds units or campaigns
    of its own: the demo's accounts have a published password. `inspection_day` is the day of the
    demo inspector's "today" plan (the real date unless given)."""
    if demo_is_loaded():
        return None
    if Unit.objects.exists() or Campaign.objects.exists():
        raise DemoConflict("数据库中已有单位或创卫工作数据，演示数据只能装入空数据库")
    taken = sorted(User.objects.filter(username__in=DEMO_ACCOUNTS).values_list("username", flat=True))
    if taken:
        raise DemoConflict(f"用户名已被占用：{'、'.join(taken)}，演示数据只能装入空数据库")
    with transaction.atomic():
        builder = _Builder(random.Random(SEED))
        builder.run()
        campaign = Campaign.objects.get()
        load_inspection_demo(campaign, today=inspection_day)
        _draft_bulletin(campaign)
        _dossier(campaign)
        _escalations()
        _report_categories(campaign)
    return DemoResult(accounts=demo_accounts(), counts=builder.counts())


def _dossier(campaign) -> None:
    """The declaration dossier: every material of the standard given to a department, most of
    them filed and accepted before the February deadline, a few returned or still missing."""
    from dossier import services as dossier
    from dossier.models import Material, SubmissionEvent

    office = User.objects.get(username="office")
    rng = random.Random(SEED + 7)
    departments = list(Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).order_by("code"))
    document = _demo_pdf()
    with clock.frozen_at(at(dt.date(2026, 2, 10), 9)):
        dossier.dossier_prepare(actor=office, campaign=campaign)
    for index, material in enumerate(Material.objects.filter(campaign=campaign).order_by("position", "pk")):
        day = dt.date(2026, 2, 11) + dt.timedelta(days=index % 15)
        with clock.frozen_at(at(day, 10)):
            material = dossier.material_assign(
                actor=office, material=material, unit=departments[index % len(departments)]
            )
            roll = rng.random()
            if roll < 0.1:
                continue  # still missing
            submission = dossier.submission_upload(
                actor=office, material=material, name=f"{material.criterion.code} {material.name}.pdf", data=document
            )
        with clock.frozen_at(at(day + dt.timedelta(days=2), 15)):
            if roll < 0.2:
                dossier.submission_transition(
                    actor=office,
                    submission=submission,
                    action=SubmissionEvent.Action.RETURN,
                    reason="材料缺少盖章页，请补充后重新报送",
                )
            elif roll < 0.9:
                dossier.submission_transition(actor=office, submission=submission, action=SubmissionEvent.Action.ACCEPT)


# The public's categories of citizen reports (随手拍), each to the checkpoint a problem is recorded
# under and the site type whose sites the triage suggests: (name, hint, checkpoint, site type).
REPORT_CATEGORIES = [
    ("垃圾堆放", "生活垃圾、建筑垃圾、杂物乱堆乱放", "3.1.3", "back_street"),
    ("垃圾桶满溢", "垃圾桶、果皮箱满溢或破损，周边脏乱", "3.2.1", "back_street"),
    ("占道经营", "店外经营、流动摊点占道", "3.1.5", "back_street"),
    ("楼道杂物、小广告", "居民楼院楼道堆物、乱贴小广告", "5.5.2", "residential_compound"),
    ("污水、积水", "污水横流、路面积水、沟渠堵塞", "3.4.1", "urban_village"),
    ("农贸市场卫生", "市场内垃圾、异味、地面积水", "5.2.4", "farmers_market"),
    ("小门店卫生", "“六小”门店店内外环境脏乱", "5.3.4", "small_premises"),
]


def _report_categories(campaign) -> None:
    criteria = {c.code: c for c in Criterion.objects.filter(standard=campaign.standard)}
    site_types = {t.code: t for t in SiteType.objects.all()}
    for position, (name, hint, code, site_type) in enumerate(REPORT_CATEGORIES):
        if code in criteria:
            ReportCategory.objects.create(
                name=name, hint=hint, criterion=criteria[code], site_type=site_types.get(site_type), position=position
            )


def _escalations() -> None:
    """The reminders and escalations the worker would have sent had it run all year: each waiting
    problem's levels fired on the day each fell due (never before its last step), so timelines
    and notification centres look as they will in use. Through the sweep's own function."""
    today = clock.today()
    days = {level: rules.effective(key).days or 0 for level, key in reminders.LEVEL_RULES.items()}
    for problem in Problem.objects.filter(status__in=reminders.WAITING, deadline__isnull=False).order_by("pk"):
        last = problem.events.order_by("-seq").values_list("at", flat=True).first()
        start = timezone.localdate(last) if last else problem.deadline
        due = {
            level: problem.deadline + dt.timedelta(days=-days[level] if level == Level.DUE_SOON else days[level])
            for level in reminders.LEVEL_RULES
        }
        for day in sorted({max(start, day) for day in due.values() if day <= today}):
            moment = max(at(day, 9), last + dt.timedelta(minutes=1)) if last else at(day, 9)
            if moment > clock.now():
                break  # today's 09:00 sweep has not run yet (loading the demo before 09:00)
            with clock.frozen_at(moment):
                reminders.escalate(problem.pk, day)


def _demo_pdf() -> bytes:
    """A one-page PDF standing in for a scanned document."""
    buffer = io.BytesIO()
    Image.new("RGB", (595, 842), (250, 250, 245)).save(buffer, format="PDF")
    return buffer.getvalue()


def _draft_bulletin(campaign) -> None:
    """A draft bulletin for November, for the office to edit and publish (publishing needs
    LibreOffice for the PDF, so the demo leaves that step to a person)."""
    from bulletins.services import bulletin_create

    office = User.objects.get(username="office")
    with clock.frozen_at(at(dt.date(2026, 11, 28), 17)):
        bulletin_create(
            actor=office,
            campaign=campaign,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 28),
            lead="为巩固省级卫生城市届满复审迎检成果，区爱卫办督导组对各单位问题整改情况进行了督查。现将有关情况通报如下：",
            closing="各单位要对照问题清单，逐项整改，限期销号。\n督导组将继续跟踪问效，对整改不力的单位严肃问责。",
        )


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def working_time(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    """Move a moment outside office hours to the next morning, so the trail reads like real work."""
    local = moment.astimezone(SHANGHAI)
    if local.hour >= 20:
        return at(local.date() + dt.timedelta(days=1), 8, 30) + dt.timedelta(minutes=rng.randint(0, 60))
    if local.hour < 8:
        return at(local.date(), 8, 30) + dt.timedelta(minutes=rng.randint(0, 60))
    return local


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def cell_bounds(index: int, parts: int = 1, part: int = 0) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the index-th sub-district cell, or of one of its vertical
    strips when parts > 1 (the communities)."""
    row, column = divmod(index, GRID_COLUMNS)
    west = CENTRE_LNG - GRID_COLUMNS / 2 * CELL_LNG + column * CELL_LNG
    south = CENTRE_LAT - CELL_LAT + row * CELL_LAT
    width = CELL_LNG / parts
    return (west + part * width, south, west + (part + 1) * width, south + CELL_LAT)


def polygon(bounds: tuple[float, float, float, float]) -> dict:
    """A GeoJSON Polygon (longitude first, counter-clockwise) for a rectangle."""
    w, s, e, n = (round(v, 6) for v in bounds)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def point_in(boundary: dict, rng: random.Random) -> tuple[Decimal, Decimal]:
    """A (latitude, longitude) inside a rectangle's boundary, away from its edges."""
    ring = boundary["coordinates"][0]
    w, s = ring[0]
    e, n = ring[2]
    lat = s + (n - s) * (0.05 + 0.9 * rng.random())
    lng = w + (e - w) * (0.05 + 0.9 * rng.random())
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


class People:
    """Makes Chinese names with pinyin usernames, never the same name twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.usernames: set[str] = set(User.objects.values_list("username", flat=True))

    def name(self) -> tuple[str, str]:
        while True:
            surname, surname_py = self.rng.choice(words.SURNAMES)
            given = [self.rng.choice(words.GIVEN) for _ in range(1 if self.rng.random() < 0.3 else 2)]
            full_name = surname + "".join(c for c, _ in given)
            if full_name not in self.names:
                self.names.add(full_name)
                return full_name, surname_py + "".join(p for _, p in given)

    def username(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.usernames:
            n += 1
            candidate = f"{base}{n}"
        self.usernames.add(candidate)
        return candidate

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randint(0, 999_999_999):09d}"

    def create(self, unit: Unit, role: str, *, username: str = "", password: str = "") -> User:
        full_name, pinyin = self.name()
        user = User(
            username=self.username(username or pinyin),
            full_name=full_name,
            phone=self.phone(),
            date_joined=at(dt.date(2026, 2, 2), 9),
        )
        if password:
            user.password = password
        else:
            user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, unit=unit, role=role)
        return user


def subdistrict_with_communities(
    *, district: Area, index: int, name: str, community_names: list[str]
) -> tuple[Area, list[Area], Unit]:
    """One sub-district area with its communities and its office, on the index-th grid cell."""
    code = f"{DISTRICT_CODE}-{index + 1:02d}"
    area = Area.objects.create(
        code=code,
        name=f"{name}街道",
        kind=Area.Kind.SUBDISTRICT,
        parent=district,
        boundary=polygon(cell_bounds(index)),
    )
    communities = [
        Area.objects.create(
            code=f"{code}-{k + 1:02d}",
            name=f"{community}社区",
            kind=Area.Kind.COMMUNITY,
            parent=area,
            boundary=polygon(cell_bounds(index, len(community_names), k)),
        )
        for k, community in enumerate(community_names)
    ]
    unit = Unit.objects.create(
        code=f"SD{index + 1:02d}",
        name=f"{name}街道办事处",
        short_name=f"{name}街道",
        kind=Unit.Kind.SUBDISTRICT,
        area=area,
    )
    return area, communities, unit


class SiteNames:
    """Plausible names and addresses per site type, unique within the demo."""

    def __init__(self, rng: random.Random, *, unique: bool = True):
        self.rng = rng
        self.unique = unique  # bulk load tests do without, for speed
        self.used: set[str] = set()

    def _unique(self, make) -> str:
        if not self.unique:
            return make()
        for _ in range(200):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"{make()}{len(self.used)}"
        self.used.add(name)
        return name

    def village(self) -> str:
        surname = self.rng.choice(words.SURNAMES)[0]
        return surname + self.rng.choice(words.VILLAGE_SUFFIXES)

    def name(self, site_type: str) -> str:
        r = self.rng
        if site_type == "back_street":
            return self._unique(
                lambda: r.choice(words.LANE_PREFIXES) + r.choice(words.LANE_VARIANTS) + r.choice(words.LANE_SUFFIXES)
            )
        if site_type == "residential_compound":

            def compound():
                roll = r.random()
                if roll < 0.6:
                    return f"{r.choice(words.ROADS)}{r.randint(1, 199)}号院"
                if roll < 0.8:
                    return f"{r.choice(words.COMPOUND_ORGS)}家属院"
                return r.choice(words.COMPOUND_NAMES)

            return self._unique(compound)
        if site_type == "urban_village":
            return self._unique(lambda: f"{self.village()}村")
        if site_type == "urban_rural_fringe":
            return self._unique(
                lambda: r.choice(words.FRINGE_PATTERNS).format(v=self.village(), road=r.choice(words.ROADS))
            )
        if site_type == "farmers_market":
            return self._unique(lambda: f"{r.choice([*words.ROADS, *words.LANE_PREFIXES, *words.COMMUNITIES])}农贸市场")
        kinds, weights = zip(*words.SHOP_KINDS, strict=True)

        def shop():
            kind = r.choices(kinds, weights)[0]
            roll = r.random()
            if roll < 0.35:
                return f"{r.choice(words.SURNAMES)[0]}记{kind}"
            if roll < 0.55:
                return f"老{r.choice(words.SURNAMES)[0]}{kind}"
            return f"{r.choice(words.SHOP_PREFIXES)}{kind}"

        return self._unique(shop)

    def address(self, subdistrict: str, site_type: str, name: str) -> str:
        if site_type in ("back_street", "urban_village", "urban_rural_fringe"):
            return f"{DISTRICT_NAME}{subdistrict}{name}"
        if site_type == "residential_compound" and name.endswith("号院"):
            return f"{DISTRICT_NAME}{subdistrict}{name.removesuffix('院')}"
        return f"{DISTRICT_NAME}{subdistrict}{self.rng.choice(words.ROADS)}{self.rng.randint(1, 260)}号"


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.photos = [jpeg(colour) for colour in PHOTO_COLOURS]

    def run(self) -> None:
        self.load_standard()
        self.build_areas()
        self.build_units()
        self.build_people()
        self.build_sites()
        self.build_campaign()
        self.build_tasks()
        self.build_five_in_place()
        self.build_problems()

    def counts(self) -> dict[str, int]:
        by_status = dict.fromkeys(Status.values, 0)
        for status in Problem.objects.values_list("status", flat=True):
            by_status[status] += 1
        return {
            "区域": Area.objects.count(),
            "单位": Unit.objects.count(),
            "人员": User.objects.count(),
            "点位": Site.objects.count(),
            "台账任务": Task.objects.count(),
            "问题": Problem.objects.count(),
            **{Status(s).label: n for s, n in by_status.items()},
        }

    def photo(self, name: str) -> list[tuple[str, bytes]]:
        return [(name, self.rng.choice(self.photos))]

    # 1 ------------------------------------------------------------------------------------
    def load_standard(self) -> None:
        self.standard = standard_load()
        self.criteria = {c.code: c for c in Criterion.objects.filter(standard=self.standard)}
        self.site_types = {t.code: t for t in SiteType.objects.order_by("code")}
        self.checklists = {
            code: sorted(t.checkpoints.order_by("code"), key=lambda c: [int(p) for p in c.code.split(".")])
            for code, t in self.site_types.items()
        }

    # 2 ------------------------------------------------------------------------------------
    def build_areas(self) -> None:
        rows = -(-len(words.SUBDISTRICTS) // GRID_COLUMNS)
        west, south, _, _ = cell_bounds(0)
        _, _, east, north = cell_bounds(rows * GRID_COLUMNS - 1)
        self.district = Area.objects.create(
            code=DISTRICT_CODE,
            name=DISTRICT_NAME,
            kind=Area.Kind.DISTRICT,
            boundary=polygon((west, south, east, north)),
        )
        pool = list(words.COMMUNITIES)
        self.rng.shuffle(pool)
        self.subdistricts = []  # (area, communities, unit)
        for index, name in enumerate(words.SUBDISTRICTS):
            count = self.rng.randint(3, 5)
            names, pool = pool[:count], pool[count:]
            self.subdistricts.append(
                subdistrict_with_communities(district=self.district, index=index, name=name, community_names=names)
            )

    # 3 ------------------------------------------------------------------------------------
    def build_units(self) -> None:
        self.office_unit = Unit.objects.create(
            code="PHC", name="区爱国卫生运动委员会办公室", short_name="区爱卫办", kind=Unit.Kind.PHC_OFFICE
        )
        self.leadership = Unit.objects.create(
            code="LEAD", name="区委区政府", short_name="区委区政府", kind=Unit.Kind.LEADERSHIP
        )
        self.departments = {
            short: Unit.objects.create(code=code, name=name, short_name=short, kind=Unit.Kind.DEPARTMENT)
            for code, name, short in words.DEPARTMENTS
        }
        self.subdistrict_units = [unit for _, _, unit in self.subdistricts]
        # Units that carry tasks, problems and five-in-place.
        self.responsible_units = [self.office_unit, *self.subdistrict_units, *self.departments.values()]

    # 4 ------------------------------------------------------------------------------------
    def build_people(self) -> None:
        Role = Membership.Role
        people = People(self.rng)
        demo_password = make_password(PASSWORD)  # hashed once: the slow hasher runs once, not eight times
        first = self.subdistrict_units[0]
        fixed = {
            (first.pk, Role.HEAD): "head",
            (first.pk, Role.DEPUTY): "deputy",
            (first.pk, Role.LIAISON): "liaison",
            (self.office_unit.pk, Role.LIAISON): "office",
        }
        self.staff: dict[int, dict[str, User]] = {}
        for unit in self.responsible_units:
            self.staff[unit.pk] = {}
            for role in (Role.HEAD, Role.DEPUTY, Role.LIAISON):
                username = fixed.get((unit.pk, role), "")
                self.staff[unit.pk][role] = people.create(
                    unit, role, username=username, password=demo_password if username else ""
                )
        # The office's own staff who assign, reassign and cancel.
        self.office_staff = [self.staff[self.office_unit.pk][Role.LIAISON]] + [
            people.create(self.office_unit, Role.LIAISON) for _ in range(3)
        ]
        self.leaders = [people.create(self.leadership, Role.VIEWER, username="leader", password=demo_password)]
        self.leaders += [people.create(self.leadership, Role.VIEWER) for _ in range(3)]
        self.inspectors = []
        self.inspector_unit: dict[int, int] = {}
        for k, short in enumerate(words.INSPECTOR_DEPARTMENTS):
            department = self.departments[short]
            inspector = people.create(
                department,
                Role.INSPECTOR,
                username="inspector" if k == 0 else "",
                password=demo_password if k == 0 else "",
            )
            self.inspectors.append(inspector)
            self.inspector_unit[inspector.pk] = department.pk
        people.create(first, Role.VIEWER, username="viewer", password=demo_password)
        # 三员分立: three administrators, one role each, no campaign role, not superusers.
        for username, role in (
            ("admin", User.AdminRole.SYSTEM),
            ("security", User.AdminRole.SECURITY),
            ("auditor", User.AdminRole.AUDIT),
        ):
            User(
                username=username,
                full_name=DEMO_ACCOUNTS[username],
                is_staff=True,
                admin_role=role,
                password=demo_password,
                date_joined=at(dt.date(2026, 2, 2), 9),
            ).save()

    def acting(self, unit_id: int, *, reporter: bool = True) -> User:
        """Who of a unit does the work: mostly the liaison, sometimes the deputy."""
        roles = self.staff[unit_id]
        if reporter and self.rng.random() < 0.8:
            return roles[Membership.Role.LIAISON]
        return roles[Membership.Role.DEPUTY]

    def verifier(self, unit_id: int) -> User:
        """An inspector who is not of the unit that did the fix."""
        return self.rng.choice([u for u in self.inspectors if self.inspector_unit[u.pk] != unit_id])

    # 5 ------------------------------------------------------------------------------------
    def build_sites(self) -> None:
        names = SiteNames(self.rng)
        market_regulator = self.departments["市场监管局"]
        communities = [(c, unit) for _, comms, unit in self.subdistricts for c in comms]
        rows = []
        for type_code, (prefix, count) in SITE_TYPES.items():
            site_type = self.site_types[type_code]
            for number in range(1, count + 1):
                community, office = self.rng.choice(communities)
                name = names.name(type_code)
                owner = office
                if type_code == "farmers_market" and self.rng.random() < 0.35:
                    owner = market_regulator
                lat, lng = point_in(community.boundary, self.rng)
                area_m2 = None
                if type_code == "farmers_market":
                    area_m2 = self.rng.randrange(2000, 15000, 100)
                elif type_code == "residential_compound":
                    area_m2 = self.rng.randrange(3000, 60000, 500)
                rows.append(
                    Site(
                        code=f"{prefix}-{number:04d}",
                        name=name,
                        site_type=site_type,
                        area=community,
                        owner_unit=owner,
                        address=names.address(office.short_name, type_code, name),
                        latitude=lat,
                        longitude=lng,
                        area_m2=area_m2,
                    )
                )
        Site.objects.bulk_create(rows)
        self.sites = list(Site.objects.select_related("site_type", "owner_unit").order_by("code"))

    # 6 ------------------------------------------------------------------------------------
    def build_campaign(self) -> None:
        self.campaign = Campaign.objects.create(
            name=CAMPAIGN_NAME,
            year=CAMPAIGN_YEAR,
            standard=self.standard,
            starts_on=dt.date(2026, 2, 2),
            ends_on=dt.date(2026, 12, 31),
        )
        self.milestones = {
            key: Milestone.objects.create(
                campaign=self.campaign, name=name, description=description, due_on=due_on, position=position
            )
            for position, (key, name, description, due_on) in enumerate(MILESTONES, start=1)
        }

    # 7 ------------------------------------------------------------------------------------
    def build_tasks(self) -> None:
        """About 150 quantified tasks, each created by the office on the day the stage was set,
        then progress reported by the lead unit over the following weeks."""
        r = self.rng
        office = self.office_staff[0]
        plan = []  # (milestone key, created on, unit, criterion code, title, measure, quantity)
        for category in Criterion.objects.filter(standard=self.standard).categories().order_by("position"):
            criterion = category.children.order_by("position").first()
            plan.append(
                ("dossier", dt.date(2026, 2, 6), self.office_unit, criterion.code,
                 f"整理上报「{category.name}」申报资料 {{n}} 份", "份", (12, 40))
            )  # fmt: skip
        plan.append(("mobilisation", dt.date(2026, 2, 27), self.office_unit, "1.2.1",
                     "印发迎接省级卫生城市届满复审工作方案 {n} 份", "份", (1, 1)))  # fmt: skip
        for unit in [*self.subdistrict_units, *self.departments.values()]:
            plan.append(("mobilisation", dt.date(2026, 2, 27), unit, "1.1.3",
                         "召开迎检动员部署会 {n} 次", "次", (1, 1)))  # fmt: skip
        for unit in self.subdistrict_units:
            for code, title, measure, span in r.sample(words.SUBDISTRICT_COMPLIANCE_TASKS, 5):
                plan.append(("compliant", dt.date(2026, 3, 2), unit, code, title, measure, span))
            for code, title, measure, span in r.sample(words.SUBDISTRICT_COVERT_TASKS, 2):
                plan.append(("covert", dt.date(2026, 5, 6), unit, code, title, measure, span))
            for code, title, measure, span in words.SUBDISTRICT_OPEN_TASKS:
                plan.append(("open", dt.date(2026, 7, 8), unit, code, title, measure, span))
        for key, created, templates in (
            ("compliant", dt.date(2026, 3, 2), words.DEPARTMENT_COMPLIANCE_TASKS),
            ("covert", dt.date(2026, 5, 6), words.DEPARTMENT_COVERT_TASKS),
            ("open", dt.date(2026, 7, 8), words.DEPARTMENT_OPEN_TASKS),
        ):
            for short, code, title, measure, span in templates:
                plan.append((key, created, self.departments[short], code, title, measure, span))

        # Every task has a 任务编码, as an office's ledger does: the ledger's export carries it, and
        # the task import updates by it (export, edit in Excel, import again).
        for number, (key, created, unit, code, title, measure, (low, high)) in enumerate(plan, start=1):
            milestone = self.milestones[key]
            quantity = r.randint(low, high)
            latest = (milestone.due_on - created).days
            deadline = milestone.due_on - dt.timedelta(days=r.choice([0, 0, 0, 5, 10, 15][: 1 + min(5, latest // 5)]))
            roles = self.staff[unit.pk]
            responsible = roles[r.choices(list(roles), weights=[15, 60, 25])[0]]
            with clock.frozen_at(at(created, 9) + dt.timedelta(minutes=r.randint(0, 240))):
                task = ledger.task_create(
                    actor=office,
                    campaign=self.campaign,
                    code=f"T-{number:03d}",
                    criterion=self.criteria[code],
                    milestone=milestone,
                    title=title.format(n=quantity),
                    lead_unit=unit,
                    responsible=responsible,
                    target_quantity=quantity,
                    target_measure=measure,
                    deadline=deadline,
                )
            self.report_progress(task, created, quantity, measure)

    def report_progress(self, task: Task, created: dt.date, target: int, measure: str) -> None:
        """One to four cumulative reports; most tasks finish on time, some late, some not at all."""
        r = self.rng
        reporter = self.acting(task.lead_unit_id)
        due = task.deadline
        outcome = r.choices(["on_time", "late", "unfinished"], weights=[72, 14, 14])[0]
        finish = (
            due - dt.timedelta(days=r.randint(0, 6))
            if outcome == "on_time"
            else due + dt.timedelta(days=r.randint(2, 20))
        )
        finish = max(finish, created + dt.timedelta(days=1))
        last_day = min(finish, DEMO_TODAY)
        span = (last_day - created).days
        reports = 1 if target == 1 or span < 3 else r.randint(2, 4)
        # The last report falls on the last day; the others on earlier days.
        days = [*sorted(r.sample(range(1, span), reports - 1)), span]
        for k, offset in enumerate(days):
            day = created + dt.timedelta(days=offset)
            final = k == len(days) - 1 and outcome != "unfinished" and day == finish
            done = target if final else max(0, min(target - 1, round(target * (k + 1) / (len(days) + 1))))
            if target == 1 and not final:
                text = "会议筹备中，已拟定议程和参会名单"
            elif final:
                text = f"已全部完成，共{done}{measure}，相关资料已归档备查"
            else:
                text = (
                    f"已完成{done}{measure}，占目标的{round(done * 100 / target)}%，{r.choice(words.PROGRESS_REMARKS)}"
                )
            files = self.photo("进展照片.jpg") if r.random() < 0.3 else ()
            with clock.frozen_at(at(day, r.randint(9, 17), r.randint(0, 59))):
                ledger.task_report_progress(actor=reporter, task=task, quantity_done=done, text=text, files=files)

    # 8 ------------------------------------------------------------------------------------
    def build_five_in_place(self) -> None:
        """Every responsible unit reports its five in place in March; some catch up in April.
        (The district leadership sets the goal and carries no ledger of its own.)"""
        r = self.rng
        for unit in self.responsible_units:
            roles = self.staff[unit.pk]
            reporter = roles[Membership.Role.LIAISON]
            for item in FiveInPlace.Item.values:
                status = r.choices(["in_place", "partial", "missing"], weights=[70, 22, 8])[0]
                day = dt.date(2026, 3, r.randint(6, 20))
                self._five(unit, item, status, day, reporter, roles)
                if status != "in_place" and r.random() < 0.5:
                    self._five(unit, item, "in_place", dt.date(2026, 4, r.randint(1, 25)), reporter, roles)

    def _five(self, unit, item, status, day, reporter, roles) -> None:
        r = self.rng
        note = words.FIVE_IN_PLACE_NOTES[item][status].format(
            head=roles[Membership.Role.HEAD].full_name,
            deputy=roles[Membership.Role.DEPUTY].full_name,
            liaison=roles[Membership.Role.LIAISON].full_name,
            n=r.randint(3, 30),
        )
        files = self.photo("佐证材料.jpg") if status == "in_place" and r.random() < 0.25 else ()
        with clock.frozen_at(at(day, r.randint(9, 17), r.randint(0, 59))):
            ledger.five_in_place_update(
                actor=reporter, campaign=self.campaign, unit=unit, item=item, status=status, note=note, files=files
            )

    # 9 ------------------------------------------------------------------------------------
    def build_problems(self, total: int = 600, rebounds: int = 30) -> None:
        """Plan every problem's chain of steps with their moments, then replay all steps of all
        problems in time order through the services: numbers follow recording order, and a
        rebound is recorded after the closure it rebounds from, so problem_record links it."""
        r = self.rng
        plans = []
        for _ in range(total - rebounds):
            site = r.choice(self.sites)
            criterion = r.choice(self.checklists[site.site_type.code])
            plans.append(self.plan_problem(site, criterion, self.recording_moment()))
        # The last few recorded are still waiting to be assigned.
        plans.sort(key=lambda p: p[0][0])
        for plan in plans[-4:]:
            del plan[1:]
        closed = [p for p in plans if p[-1][1] == Action.CLOSE and p[-1][0] < DEMO_NOW - dt.timedelta(days=15)]
        for origin in r.sample(closed, rebounds):
            closed_at = origin[-1][0]
            latest = min(closed_at + dt.timedelta(days=85), DEMO_NOW - dt.timedelta(days=1))
            moment = (closed_at + (latest - closed_at) * (0.1 + 0.9 * r.random())).replace(second=0, microsecond=0)
            site, criterion = origin[0][2]["site"], origin[0][2]["criterion"]
            plans.append(self.plan_problem(site, criterion, working_time(moment, r)))

        steps = [(step[0], index, k, step) for index, plan in enumerate(plans) for k, step in enumerate(plan)]
        steps.sort(key=lambda s: s[:3])
        problems: dict[int, Problem] = {}
        for moment, index, _, (_, action, kwargs) in steps:
            with clock.frozen_at(moment):
                if action == Action.RECORD:
                    problems[index] = loop.problem_record(campaign=self.campaign, **kwargs)
                else:
                    problems[index] = SERVICE[action](problem=problems[index], **kwargs)
        self.merge_duplicates()

    def merge_duplicates(self, count: int = 3) -> None:
        """合并: a few problems recorded beside an open one of the same checkpoint (疑似重复,
        problem_record linked them) are merged by the office into it at the demo's now; one is
        recorded for the purpose when the random walk left no such pair."""
        office = self.office_staff[0]
        open_states = sorted(OPEN)
        pairs = list(
            Problem.objects.filter(status__in=open_states, resembles__status__in=open_states).order_by("sequence")[
                :count
            ]
        )
        with clock.frozen_at(DEMO_NOW):
            if not pairs:
                survivor = Problem.objects.filter(status__in=open_states).order_by("sequence").first()
                pairs = [
                    loop.problem_record(
                        actor=office,
                        campaign=self.campaign,
                        site=survivor.site,
                        criterion=survivor.criterion,
                        description=survivor.description,
                        source=Problem.Source.LEADER,
                    )
                ]
            for duplicate in pairs:
                try:
                    loop.problem_merge(
                        actor=office,
                        problem=duplicate,
                        into=Problem.objects.get(pk=duplicate.resembles_id),
                        reason="与先前登记的同一点位同一问题重复",
                    )
                except DomainError:
                    continue  # its survivor was merged itself a moment ago: left as it is

    def recording_moment(self) -> dt.datetime:
        """Inspections come in waves: the April clean-up, the run-up to the covert visit, the
        autumn before the open inspection. One in ten is a covert evening visit."""
        r = self.rng
        weights = {3: 6, 4: 16, 5: 14, 6: 14, 7: 9, 8: 8, 9: 10, 10: 12, 11: 11}
        month = r.choices(list(weights), list(weights.values()))[0]
        last = DEMO_TODAY.day if month == DEMO_TODAY.month else (dt.date(2026, month + 1, 1) - dt.timedelta(days=1)).day
        day = dt.date(2026, month, r.randint(1, last))
        if r.random() < 0.1:
            return at(day, r.randint(19, 20), r.randint(0, 59))
        return at(day, r.randint(8, 17), r.randint(0, 59))

    def plan_problem(self, site: Site, criterion: Criterion, recorded: dt.datetime) -> list:
        """The steps of one problem as (moment, action, service kwargs), cut off at DEMO_NOW."""
        r = self.rng
        findings, fix = words.FINDINGS.get(criterion.code, ([f"{criterion.name}：现场检查不达标"], "已按要求整改到位"))
        source = r.choices(list(Problem.Source.values), weights=[85, 10, 5])[0]
        recorder = r.choice(self.inspectors) if source == Problem.Source.INSPECTION else r.choice(self.office_staff)
        record = {
            "actor": recorder,
            "site": site,
            "criterion": criterion,
            "description": r.choice(findings),
            "severity": r.choices(list(Problem.Severity.values), weights=[70, 22, 8])[0],
            "source": source,
            "photos": self.photo("现场照片.jpg") if r.random() < 0.4 else (),
        }
        steps = [(recorded, Action.RECORD, record)]
        t = recorded

        def later(low_hours: float, high_hours: float) -> dt.datetime:
            nonlocal t
            t = working_time(t + dt.timedelta(hours=r.uniform(low_hours, high_hours)), r)
            return t

        recent = recorded >= DEMO_NOW - dt.timedelta(days=45)
        kinds = {
            "close": 58, "late": 9, "return1": 10, "return2": 5, "reassign": 6, "cancel_recorded": 2,
            "cancel_assigned": 2, "stall": 4, "stall_returned": 2, "pending": 6 if recent else 0,
        }  # fmt: skip
        kind = r.choices(list(kinds), list(kinds.values()))[0]
        office = r.choice(self.office_staff)
        if kind == "cancel_recorded":
            steps.append((later(1, 30), Action.CANCEL, {"actor": office, "reason": r.choice(words.CANCEL_REASONS)}))
            return self._cut(steps)

        owner = site.owner_unit
        department = self.departments.get(words.DEPARTMENT_FOR_CHECKPOINT.get(criterion.code, ""))
        unit = department if department and r.random() < 0.35 else owner
        final_unit = unit
        if kind == "reassign":
            if unit == owner:
                final_unit = department or self.departments["城管局"]
                reason = words.REASSIGN_TO_DEPARTMENT.format(unit=final_unit.short_name)
            else:
                final_unit = owner
                reason = words.REASSIGN_TO_SUBDISTRICT.format(unit=owner.short_name)
        days = {"minor": (7, 15), "major": (5, 10), "serious": (3, 5)}[record["severity"]]
        moment = later(0.5, 30)
        deadline = local_date(moment) + dt.timedelta(days=r.randint(*days))
        steps.append(
            (
                moment,
                Action.ASSIGN,
                {"actor": office, "unit": unit, "deadline": deadline, "note": r.choice(words.ASSIGN_NOTES)},
            )
        )
        if kind == "cancel_assigned":
            steps.append((later(4, 96), Action.CANCEL, {"actor": office, "reason": r.choice(words.CANCEL_REASONS)}))
            return self._cut(steps)
        if kind == "stall":
            return self._cut(steps)
        if kind == "reassign":
            moment = later(4, 72)
            extra = {}
            if r.random() < 0.5:
                extra["deadline"] = local_date(moment) + dt.timedelta(days=r.randint(*days))
                deadline = extra["deadline"]
            steps.append((moment, Action.REASSIGN, {"actor": office, "unit": final_unit, "reason": reason, **extra}))
            unit = final_unit

        def submit(late: bool = False) -> None:
            end_of_deadline = clock.end_of_day(deadline)
            if late:
                moment = later(
                    max(1.0, (end_of_deadline - t).total_seconds() / 3600) + 24,
                    max(1.0, (end_of_deadline - t).total_seconds() / 3600) + 240,
                )
            else:
                room = max(2.0, (end_of_deadline - t).total_seconds() / 3600 - 30)
                moment = later(2, room)
            files = self.photo("整改后照片.jpg") if r.random() < 0.6 else ()
            steps.append((moment, Action.SUBMIT, {"actor": self.acting(unit.pk), "note": fix, "files": files}))

        def verify(close: bool) -> None:
            room = max(1.0, (clock.end_of_day(deadline) - t).total_seconds() / 3600 - 12)
            moment = later(1, min(72, room)) if close and kind not in ("late",) else later(2, 72)
            verifier = self.verifier(unit.pk)
            if close:
                files = self.photo("复核照片.jpg") if r.random() < 0.2 else ()
                steps.append(
                    (moment, Action.CLOSE, {"actor": verifier, "note": r.choice(words.CLOSE_NOTES), "files": files})
                )
            else:
                steps.append((moment, Action.RETURN, {"actor": verifier, "reason": r.choice(words.RETURN_REASONS)}))

        submit(late=kind == "late")
        if kind == "pending":
            return self._cut(steps)
        returns = {"return1": 1, "return2": 2, "stall_returned": 1}.get(kind, 0)
        for k in range(returns):
            verify(close=False)
            if kind == "stall_returned":
                return self._cut(steps)
            submit(late=k == 1 and r.random() < 0.5)
        if kind == "return2" and r.random() < 0.4:
            return self._cut(steps)  # waits for the third verification
        verify(close=True)
        return self._cut(steps)

    @staticmethod
    def _cut(steps: list) -> list:
        """The story as it stands at DEMO_NOW: later steps have not happened yet."""
        return [step for step in steps if step[0] <= DEMO_NOW]


SERVICE = {
    Action.ASSIGN: loop.problem_assign,
    Action.REASSIGN: loop.problem_reassign,
    Action.SUBMIT: loop.problem_submit_evidence,
    Action.CLOSE: loop.problem_close,
    Action.RETURN: loop.problem_return,
    Action.CANCEL: loop.problem_cancel,
}
