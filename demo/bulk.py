"""Bulk problems for load tests: `python manage.py demo --problems N`.

Why this path bypasses problems.services: the services take a row lock, check the actor, write
the problem and its event one call at a time, about ten queries per step. A million problems with
four or five steps each would take hours that way. Load tests need the rows, not the replay, so
this module writes them in bulk (PostgreSQL: COPY; SQLite: bulk_create in batches). It is for
seeding a test database only, never for real data: it sends no notifications, stores no photos
and links no rebounds.

It keeps every invariant the services keep, by construction:
- each problem's chain is a random walk over problems.states.TRANSITIONS (allowed_from), so its
  status is the replay of its events, events are numbered 1..n and chain from/to statuses;
- a problem with a unit has the assigned unit and deadline of its last event; deadlines are set
  on or after the day of the step that sets them;
- a closed problem has closed_at/closed_on from its CLOSE event, whose actor is an inspector who
  is not a member of the unit assigned at that time; evidence is submitted by the unit's people;
- year/sequence numbers come from problems.models.ProblemCounter, advanced once for the batch
  under its row lock, so numbers never collide with the services';
- the events continue the hash chain of their table (core.chain): the chain head is taken under
  its row lock, each event is numbered and hashed after the one before, and the head is moved to
  the last one, as AppendOnly.save() does row by row.
`python manage.py audit_check` (audit.checks) verifies all of this after a run; the tests run it.
"""

import bisect
import contextlib
import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import QuerySet

from campaigns.models import Campaign
from core.chain import canon_of
from core.models import ChainHead
from demo import data as words
from demo.district import (
    CAMPAIGN_NAME,
    DEMO_NOW,
    PROBLEMS_FROM,
    SEED,
    SHANGHAI,
    SITE_TYPES,
    People,
    SiteNames,
    demo_is_loaded,
    demo_load,
    point_in,
    subdistrict_with_communities,
)
from organisation.models import Area, Membership, Unit
from problems.models import Problem, ProblemCounter, ProblemEvent
from problems.states import TRANSITIONS, Action, Status, allowed_from
from sites.models import Site
from standard.models import Criterion, SiteType

CHUNK = 20_000
PROBLEMS_PER_SITE = 5
PROBLEMS_PER_SUBDISTRICT = 100_000

# How a problem moves on from each state: relative weights of stopping there ("") and of each
# action; the actions themselves come from the transition table, so a new transition is walked too.
WEIGHTS = {
    Status.RECORDED: {"": 2, Action.ASSIGN: 96, Action.CANCEL: 2},
    Status.ASSIGNED: {"": 10, Action.SUBMIT: 82, Action.REASSIGN: 5, Action.CANCEL: 3},
    Status.SUBMITTED: {"": 6, Action.CLOSE: 76, Action.RETURN: 18},
    Status.RETURNED: {"": 12, Action.SUBMIT: 82, Action.REASSIGN: 4, Action.CANCEL: 2},
}
# Hours between a step and the one before it.
DELAY = {
    Action.ASSIGN: (0.5, 30),
    Action.REASSIGN: (4, 72),
    Action.SUBMIT: (24, 240),
    Action.CLOSE: (2, 72),
    Action.RETURN: (2, 72),
    Action.CANCEL: (2, 120),
}
NEEDS_UNIT_CHANGE = (Action.ASSIGN, Action.REASSIGN)


def walk_table() -> dict:
    """state -> (cumulative weights, choices) over "stop" and the actions TRANSITIONS allows."""
    table = {}
    for status in Status:
        weights = WEIGHTS.get(status, {})
        # A merge needs a survivor (merged_into), which a walk of one problem has not: the demo
        # district merges through problems.services.problem_merge instead.
        choices = [""] + [a for a in allowed_from(status) if a not in (Action.RECORD, Action.MERGE)]
        if len(choices) == 1:
            continue  # a final state: the walk ends there
        cumulative, total = [], 0
        for choice in choices:
            total += weights.get(choice, 1)
            cumulative.append(total)
        table[status] = (cumulative, choices)
    return table


@dataclass
class BulkResult:
    problems: int
    events: int
    sites: int
    units: int
    seconds: float


def demo_add_problems(count: int) -> BulkResult:
    """Add `count` problems with their event chains, about one new site per five problems and one
    new sub-district office per 100,000 problems. Loads the base demo first if it is missing.
    All in one transaction: a failure leaves nothing behind."""
    started = time.monotonic()
    if not demo_is_loaded():
        demo_load()
    rng = random.Random(SEED)
    with transaction.atomic():
        _lock([Site, Problem, ProblemEvent])
        units = _add_subdistricts(rng, count // PROBLEMS_PER_SUBDISTRICT)
        writer = _Writer()
        with writer.foreign_keys_suspended([Site, Problem, ProblemEvent]):
            sites = _add_sites(rng, count // PROBLEMS_PER_SITE, writer)
            events = _Generator(rng, count, writer).run()
        writer.finish([Site, Problem, ProblemEvent])
    _vacuum([Site, Problem, ProblemEvent])
    return BulkResult(problems=count, events=events, sites=sites, units=units, seconds=time.monotonic() - started)


def _vacuum(models) -> None:
    """PostgreSQL: VACUUM (ANALYZE) the tables just written, after the commit (VACUUM runs outside a
    transaction). It sets the visibility map, without which an index-only scan (the counts of the
    screens) still reads every table page, and it gives the planner its statistics."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def _lock(models) -> None:
    """Keep other writers out while ids are handed out by hand. SQLite's IMMEDIATE transaction
    already holds the database's one write lock."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


class _Writer:
    """Writes rows given as tuples in a fixed column order: COPY on PostgreSQL, bulk_create
    elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            fields = {f.attname: f.column for f in model._meta.concrete_fields}
            names = ", ".join(connection.ops.quote_name(fields[c]) for c in columns)
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor, cursor.connection.cursor() as raw:
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            # A plain QuerySet: events come numbered and hashed (_Chain), the append-only manager
            # would chain them a second time.
            objs = (model(**dict(zip(columns, row, strict=True))) for row in rows)
            QuerySet(model).bulk_create(objs, batch_size=2000)

    @contextlib.contextmanager
    def foreign_keys_suspended(self, models):
        """PostgreSQL checks every written row's foreign keys at commit, one lookup per key and
        row: for five million rows that was most of the load's time. So drop the foreign keys of
        the tables written here and add them back afterwards, where each is checked for all rows
        in one join (what pg_restore does). Same transaction: a failure restores them."""
        if not self.postgres:
            yield
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Rows written earlier in this transaction (new units, people) have checks pending,
            # and PostgreSQL alters no table while they do: run those checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [[m._meta.db_table for m in models]],
            )
            keys = cursor.fetchall()
            for table, name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        yield
        with connection.cursor() as cursor:
            for table, name, definition in keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")

    def finish(self, models) -> None:
        """Move the id sequences past the ids written by hand, and refresh the planner's
        statistics so that load tests see realistic plans."""
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            if self.postgres:
                cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))


def _add_subdistricts(rng: random.Random, count: int) -> int:
    """New sub-districts on the next cells of the grid, each with four communities and an office
    with its head, deputy and liaison."""
    if not count:
        return 0
    district = Area.objects.get(kind=Area.Kind.DISTRICT, parent=None, code="SFQ")
    index = Area.objects.filter(kind=Area.Kind.SUBDISTRICT).count()
    used = set(Area.objects.values_list("name", flat=True)) | set(Unit.objects.values_list("short_name", flat=True))
    names = [n for n in words.EXTRA_SUBDISTRICTS if f"{n}街道" not in used]
    pool = [c for c in words.COMMUNITIES if f"{c}社区" not in used]
    people = People(rng)
    for k in range(count):
        name = names[k] if k < len(names) else f"新区第{index + 1}"
        communities = [pool.pop(0) if pool else f"{name}第{j + 1}" for j in range(4)]
        _, _, unit = subdistrict_with_communities(
            district=district, index=index, name=name, community_names=communities
        )
        for role in (Membership.Role.HEAD, Membership.Role.DEPUTY, Membership.Role.LIAISON):
            people.create(unit, role)
        index += 1
    return count


SITE_COLUMNS = ["id", "code", "name", "site_type_id", "area_id", "owner_unit_id", "address", "latitude", "longitude"]
SITE_COLUMNS += ["area_m2", "is_active"]


def _add_sites(rng: random.Random, count: int, writer: "_Writer") -> int:
    """New sites spread over all communities, owned by their sub-district office, coded after the
    highest code of their type."""
    if not count:
        return 0
    office_of_area = dict(Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT, is_active=True).values_list("area_id", "pk"))
    communities = [
        (pk, boundary, office_of_area[parent], short)
        for pk, boundary, parent, short in Area.objects.filter(kind=Area.Kind.COMMUNITY)
        .order_by("code")
        .values_list("pk", "boundary", "parent_id", "parent__name")
        if parent in office_of_area and boundary
    ]
    types = {t.code: t.pk for t in SiteType.objects.all()}
    codes = list(SITE_TYPES)
    weights = [SITE_TYPES[c][1] for c in codes]
    numbers = {}
    for code in codes:
        prefix = SITE_TYPES[code][0]
        existing = Site.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True).iterator()
        numbers[code] = max((int(c.split("-", 1)[1]) for c in existing if c.split("-", 1)[1].isdigit()), default=0)
    names = SiteNames(rng, unique=False)
    next_id = _next_id(Site)
    rows = []
    for k in range(count):
        type_code = rng.choices(codes, weights)[0]
        numbers[type_code] += 1
        area_id, boundary, owner_id, subdistrict = rng.choice(communities)
        name = names.name(type_code)
        lat, lng = point_in(boundary, rng)
        rows.append(
            (
                next_id + k,
                f"{SITE_TYPES[type_code][0]}-{numbers[type_code]:04d}",
                name,
                types[type_code],
                area_id,
                owner_id,
                names.address(subdistrict, type_code, name),
                lat,
                lng,
                None,
                True,
            )
        )
        if len(rows) == CHUNK:
            writer.write(Site, SITE_COLUMNS, rows)
            rows = []
    writer.write(Site, SITE_COLUMNS, rows)
    return count


PROBLEM_COLUMNS = [
    "id", "uuid", "year", "sequence", "campaign_id", "site_id", "criterion_id", "description", "severity", "source",
    "recorded_by_id", "recorded_at", "status", "assigned_unit_id", "deadline", "closed_at", "closed_on",
    "rebound_of_id", "version", "return_count",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "problem_id", "seq", "action", "from_status", "to_status", "actor_id", "actor_unit_id", "at", "note",
    "unit_id", "deadline", "chain_seq", "chain_prev", "chain_hash",
]  # fmt: skip


class _Chain:
    """The end of the events' hash chain, held under its row lock for the whole load."""

    def __init__(self, model):
        self.model = model
        self.head = ChainHead.locked(model._meta.db_table)
        self.seq, self.prev = self.head.seq, self.head.hash
        self.canon = canon_of(model)
        # Where each value of the canonical content sits in a row of EVENT_COLUMNS (chain_seq and
        # chain_prev, appended to the row, are the last two). A column the loader does not write
        # (a reminder's level) is NULL in the table, and so None in the content.
        self.order = [EVENT_COLUMNS.index(name) if name in EVENT_COLUMNS else None for name in self.canon.attnames]
        self.no_links = {name: [] for name in self.canon.links}

    def seal(self, rows: list[tuple]) -> list[tuple]:
        """The rows with their position, the previous hash and their own hash appended."""
        sealed = []
        row_hash, order, no_links = self.canon.row_hash, self.order, self.no_links
        seq, prev = self.seq, self.prev
        for row in rows:
            seq += 1
            row = (*row, seq, prev)
            prev = row_hash([None if i is None else row[i] for i in order], no_links)
            sealed.append((*row, prev))
        self.seq, self.prev = seq, prev
        return sealed

    def advance(self) -> None:
        ChainHead.objects.filter(table=self.head.table).update(seq=self.seq, hash=self.prev)


class _Generator:
    """Generates problems and their event chains in chunks and hands them to the writer."""

    def __init__(self, rng: random.Random, count: int, writer: _Writer):
        self.rng, self.count, self.writer = rng, count, writer
        self.campaign_id = Campaign.objects.get(name=CAMPAIGN_NAME).pk
        self._load_people()
        self._load_sites()

    def _load_people(self) -> None:
        """Who may do what, mirroring access: office staff assign, reassign and cancel; a
        unit's head, deputy and liaison submit; inspectors outside the unit verify."""
        member_units: dict[int, list[tuple[str, str, int]]] = {}
        self.members: set[tuple[int, int]] = set()
        self.acting: dict[int, list[int]] = {}
        office, inspectors = set(), set()
        for user_id, unit_id, role, kind, code in Membership.objects.filter(
            unit__is_active=True, user__is_active=True
        ).values_list("user_id", "unit_id", "role", "unit__kind", "unit__code"):
            member_units.setdefault(user_id, []).append((kind, code, unit_id))
            self.members.add((user_id, unit_id))
            if role in Membership.ACTING_ROLES:
                self.acting.setdefault(unit_id, []).append(user_id)
            if kind == Unit.Kind.PHC_OFFICE and role != Membership.Role.VIEWER:
                office.add(user_id)
            if role == Membership.Role.INSPECTOR:
                inspectors.add(user_id)
        for people in self.acting.values():
            people.sort()
        # problems.services._acting_unit: the assigned unit when the actor belongs to it, else
        # the actor's first unit by kind and code.
        self.first_unit = {user: min(units)[2] for user, units in member_units.items()}
        self.office = sorted(office)
        self.inspectors = sorted(inspectors)
        self.verifiers: dict[int, list[int]] = {}

    def verifiers_for(self, unit_id: int) -> list[int]:
        found = self.verifiers.get(unit_id)
        if found is None:
            found = [u for u in self.inspectors if (u, unit_id) not in self.members]
            self.verifiers[unit_id] = found
        return found

    def _load_sites(self) -> None:
        departments = dict(Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).values_list("short_name", "pk"))
        self.city_management = departments["城管局"]
        office_of_area = dict(Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT).values_list("area_id", "pk"))
        # site type -> [(criterion id, findings, fix, department that may fix it)]
        checklists: dict[int, list] = {}
        through = SiteType.checkpoints.through
        for type_id, criterion_id, code, name in through.objects.order_by("sitetype_id", "criterion__code").values_list(
            "sitetype_id", "criterion_id", "criterion__code", "criterion__name"
        ):
            findings, fix = words.FINDINGS.get(code, ([f"{name}：现场检查不达标"], "已按要求整改到位"))
            department = departments.get(words.DEPARTMENT_FOR_CHECKPOINT.get(code, ""))
            checklists.setdefault(type_id, []).append((criterion_id, findings, fix, department))
        self.sites = [
            (pk, checklists[type_id], owner, office_of_area.get(parent, owner))
            for pk, type_id, owner, parent in Site.objects.filter(is_active=True, site_type_id__in=list(checklists))
            .order_by("pk")
            .values_list("pk", "site_type_id", "owner_unit_id", "area__parent_id")
            .iterator(chunk_size=10_000)
        ]
        if not Criterion.objects.filter(pk__in=[c[0] for cl in checklists.values() for c in cl]).exists():
            raise RuntimeError("no checklist: load the standard first")

    def run(self) -> int:
        """Take the numbers, then generate and write chunk by chunk. Returns the events written."""
        counter, _ = ProblemCounter.objects.select_for_update().get_or_create(year=DEMO_NOW.year)
        self.first_sequence = counter.last + 1
        counter.last += self.count
        counter.save(update_fields=["last"])
        self.problem_id = _next_id(Problem)
        self.event_id = _next_id(ProblemEvent)
        trail = _Chain(ProblemEvent)
        start = dt.datetime.combine(PROBLEMS_FROM, dt.time(8), tzinfo=SHANGHAI)
        self.start = start
        self.spacing = (DEMO_NOW - start).total_seconds() / self.count
        self.end = (DEMO_NOW - start).total_seconds()
        self.table = walk_table()
        events = 0
        for first in range(0, self.count, CHUNK):
            problems, chain_events = self.chunk(first, min(CHUNK, self.count - first))
            self.writer.write(Problem, PROBLEM_COLUMNS, problems)
            self.writer.write(ProblemEvent, EVENT_COLUMNS, trail.seal(chain_events))
            events += len(chain_events)
        trail.advance()
        return events

    def chunk(self, first: int, size: int) -> tuple[list, list]:
        rng = self.rng
        random_, uniform, choice, randint = rng.random, rng.uniform, rng.choice, rng.randint
        start, spacing, end, table = self.start, self.spacing, self.end, self.table
        sites, office, first_unit, members = self.sites, self.office, self.first_unit, self.members
        inspectors, acting = self.inspectors, self.acting
        seconds = dt.timedelta(seconds=1)
        severities, severity_weights = list(Problem.Severity.values), [70, 22, 8]
        problems, events = [], []
        for i in range(first, first + size):
            site_id, checklist, owner, subdistrict = sites[int(random_() * len(sites))]
            criterion_id, findings, fix, department = choice(checklist)
            problem_id = self.problem_id
            self.problem_id += 1
            t = (i + random_()) * spacing
            recorded_at = start + t * seconds
            recorder = choice(inspectors) if random_() < 0.85 else choice(office)
            source = Problem.Source.INSPECTION if recorder in inspectors else Problem.Source.CITIZEN
            status, unit, deadline, closed_at = Status.RECORDED, None, None, None
            chain = [
                (self.event_id, problem_id, 1, Action.RECORD, "", status, recorder, first_unit[recorder],
                 recorded_at, "", None, None)
            ]  # fmt: skip
            self.event_id += 1
            while status in table:
                cumulative, choices = table[status]
                action = choices[bisect.bisect_right(cumulative, random_() * cumulative[-1])]
                if not action:
                    break
                low, high = DELAY[action]
                t += uniform(low, high) * 3600
                if t > end:
                    break  # the rest of the story has not happened yet
                moment = start + t * seconds
                note = ""
                if action == Action.ASSIGN:
                    actor = choice(office)
                    unit = department if department and random_() < 0.35 else owner
                    deadline = moment.date() + dt.timedelta(days=randint(3, 15))
                elif action == Action.REASSIGN:
                    actor = choice(office)
                    unit = next(u for u in (department, subdistrict, self.city_management, owner) if u and u != unit)
                    if random_() < 0.5:
                        deadline = moment.date() + dt.timedelta(days=randint(3, 10))
                    note = "经核实职责归属，改派"
                elif action == Action.SUBMIT:
                    actor = choice(acting[unit])
                    note = fix
                elif action in (Action.CLOSE, Action.RETURN):
                    actor = choice(self.verifiers_for(unit))
                    if action == Action.CLOSE:
                        closed_at = moment
                    else:
                        note = choice(words.RETURN_REASONS)
                else:
                    actor = choice(office)
                    note = choice(words.CANCEL_REASONS)
                previous, status = status, TRANSITIONS[action][1]
                chain.append(
                    (self.event_id, problem_id, len(chain) + 1, action, previous, status, actor,
                     unit if (actor, unit) in members else first_unit[actor], moment, note, unit, deadline)
                )  # fmt: skip
                self.event_id += 1
            problems.append(
                (
                    problem_id,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    DEMO_NOW.year,
                    self.first_sequence + i,
                    self.campaign_id,
                    site_id,
                    criterion_id,
                    choice(findings),
                    rng.choices(severities, severity_weights)[0],
                    source,
                    recorder,
                    recorded_at,
                    status,
                    unit,
                    deadline,
                    closed_at,
                    closed_at.date() if closed_at else None,
                    None,
                    len(chain),
                    sum(1 for event in chain if event[3] == Action.RETURN),
                )
            )
            events.extend(chain)
        return problems, events
