"""Readiness (迎检准备度): how many of the standard's points the district would earn if the
provincial covert visit came today, judged from recent inspections.

The rules:
- Only the check results of inspections submitted on or after `since` (local midnight), of the
  campaign's plans, that the person may see (`access.inspections_visible_to`), count.
  不适用 (n/a) results count for nothing: a checkpoint's pass rate = passes / (passes + fails).
- The checkpoints that matter are the checklist checkpoints of the campaign's standard (those on
  some site type's checklist), plus any checkpoint that was inspected in the period.
- A criterion's earned points = Σ over its inspected checkpoints of weight × pass rate; its
  inspected points = Σ of their weights; readiness % = earned / inspected × 100; points at risk =
  inspected − earned = Σ weight × (1 − pass rate).
- A checkpoint nobody inspected in the period is **unknown**: it is counted neither as 0 nor as
  1, only reported (per criterion and overall, with its points), so a low coverage is seen and
  not mistaken for a good or a bad score. A criterion with no inspected checkpoint has readiness
  None and comes after every scored criterion.
- Per sub-district (the site's area's parent; a site filed directly under a sub-district or with
  no parent area goes under "None") the same, with each checkpoint's pass rate taken over that
  sub-district's results only. Overall pools every result per checkpoint (it is not the mean of
  the sub-districts).
- Weakest first: criteria by points at risk (descending), then readiness, then code; areas by
  readiness (ascending), then points at risk (descending).
- The headline is a range, never a lone figure over whatever happened to be inspected (issue 12:
  "95 %" with 20 of 48 checkpoints unknown): its low end counts every unknown checkpoint as
  failed, its high end as passed, both over all the checkpoints' points. When nothing is unknown
  the two ends meet. Coverage stands beside it: checkpoints inspected of all, sites inspected of
  the sites to inspect (active sites of a type with a checklist), sub-districts inspected of all.
- Every sub-district appears, those without an inspection in the period as 未检查 (after the
  scored ones), so the list never looks complete when it is not.

The database does the counting, in six grouped queries whatever the number of inspections:
results per checkpoint, results per sub-district and checkpoint, inspections and inspected sites
per sub-district, the checkpoints with their criteria, the sub-districts, and the sites to inspect
per sub-district. The weighting over those few rows is done here."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

import access
from core import clock
from inspections.models import CheckResult
from organisation.models import Area
from sites.models import Site
from standard.models import Criterion, SiteType

PASS, FAIL = CheckResult.Result.PASS, CheckResult.Result.FAIL
HUNDRED = Decimal(100)
DEFAULT_DAYS = 30


def default_since() -> dt.date:
    """The page's default period: the last 30 days."""
    return clock.today() - dt.timedelta(days=DEFAULT_DAYS)


def _points(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _percent(earned: Decimal, inspected: Decimal) -> Decimal | None:
    if not inspected:
        return None
    return (earned / inspected * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _score(counts: dict[int, tuple[int, int]], weights: dict[int, Decimal]) -> dict:
    """Earned, inspected and at-risk points over checkpoints with (passes, fails) counts."""
    earned = inspected = Decimal(0)
    for checkpoint_id, (passes, fails) in counts.items():
        if passes + fails == 0 or checkpoint_id not in weights:
            continue
        weight = weights[checkpoint_id]
        earned += weight * passes / (passes + fails)
        inspected += weight
    return {
        "points_earned": _points(earned),
        "points_inspected": _points(inspected),
        "points_at_risk": _points(inspected - earned),
        "percent": _percent(earned, inspected),
    }


def readiness(*, user, campaign, since: dt.date) -> dict:
    """The readiness of the district as this person may see it; plain dicts and lists."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    inspections = access.inspections_visible_to(user).filter(plan__campaign=campaign, submitted_at__gte=start)
    results = CheckResult.objects.filter(
        inspection__in=inspections.values("pk"), checkpoint__standard_id=campaign.standard_id
    )
    counted = {
        "passes": Count("pk", filter=Q(result=PASS)),
        "fails": Count("pk", filter=Q(result=FAIL)),
        "na": Count("pk", filter=~Q(result__in=[PASS, FAIL])),
    }

    # 1. results per checkpoint
    per_checkpoint = {
        row["checkpoint_id"]: row for row in results.order_by().values("checkpoint_id").annotate(**counted)
    }
    # 2. results per sub-district and checkpoint
    per_area_rows = list(
        results.order_by()
        .values("inspection__site__area__parent_id", "inspection__site__area__parent__name", "checkpoint_id")
        .annotate(**counted)
    )
    # 3. inspections and inspected sites per sub-district
    inspection_rows = {
        row["site__area__parent_id"]: row
        for row in inspections.order_by()
        .values("site__area__parent_id")
        .annotate(n=Count("pk"), sites=Count("site_id", distinct=True))
    }
    inspection_counts = {area_id: row["n"] for area_id, row in inspection_rows.items()}
    # 4. the checkpoints that matter, with their criteria
    checkpoints = list(
        Criterion.objects.checkpoints()
        .filter(standard_id=campaign.standard_id)
        .filter(Q(site_types__isnull=False) | Q(pk__in=list(per_checkpoint)))
        .order_by()
        .values(
            "pk",
            "code",
            "name",
            "weight",
            "position",
            "parent_id",
            "parent__code",
            "parent__name",
            "parent__position",
        )
        .distinct()
    )
    weights = {c["pk"]: c["weight"] for c in checkpoints}
    # 5. every sub-district, so those nobody inspected are listed too
    subdistricts = list(Area.objects.filter(kind=Area.Kind.SUBDISTRICT).order_by("code").values("pk", "name"))
    # 6. the sites to inspect (a type with a checklist of this standard) per sub-district
    to_inspect = access.sites_visible_to(
        user,
        Site.objects.active().filter(
            site_type__in=SiteType.objects.filter(checkpoints__standard_id=campaign.standard_id).values("pk")
        ),
    )
    sites_per_area = {
        row["area__parent_id"]: row["n"]
        for row in to_inspect.order_by().values("area__parent_id").annotate(n=Count("pk"))
    }

    # Criteria
    criteria: dict[int, dict] = {}
    for c in sorted(checkpoints, key=lambda c: (c["parent__position"] or 0, c["position"], c["code"])):
        criterion = criteria.setdefault(
            c["parent_id"],
            {
                "id": c["parent_id"],
                "code": c["parent__code"] or "",
                "name": c["parent__name"] or "",
                "checkpoints": [],
                "_counts": {},
            },
        )
        row = per_checkpoint.get(c["pk"], {"passes": 0, "fails": 0, "na": 0})
        judged = row["passes"] + row["fails"]
        criterion["checkpoints"].append(
            {
                "id": c["pk"],
                "code": c["code"],
                "name": c["name"],
                "weight": c["weight"],
                "passes": row["passes"],
                "fails": row["fails"],
                "na": row["na"],
                "pass_rate": _percent(Decimal(row["passes"]), Decimal(judged)),
                "known": judged > 0,
            }
        )
        criterion["_counts"][c["pk"]] = (row["passes"], row["fails"])
    criterion_rows = []
    for criterion in criteria.values():
        counts = criterion.pop("_counts")
        criterion.update(_score(counts, weights))
        unknown = [cp for cp in criterion["checkpoints"] if not cp["known"]]
        criterion["unknown_checkpoints"] = len(unknown)
        criterion["unknown_points"] = _points(sum((cp["weight"] for cp in unknown), Decimal(0)))
        criterion["weight"] = _points(sum((cp["weight"] for cp in criterion["checkpoints"]), Decimal(0)))
        criterion_rows.append(criterion)
    criterion_rows.sort(
        key=lambda r: (
            r["percent"] is None,
            -r["points_at_risk"],
            r["percent"] if r["percent"] is not None else HUNDRED,
            r["code"],
        )
    )

    # Sub-districts
    areas: dict = {}
    for row in per_area_rows:
        area_id = row["inspection__site__area__parent_id"]
        area = areas.setdefault(
            area_id,
            {"id": area_id, "name": row["inspection__site__area__parent__name"], "_counts": {}},
        )
        area["_counts"][row["checkpoint_id"]] = (row["passes"], row["fails"])
    area_rows = []
    for area_id in set(areas) | set(inspection_counts):
        area = areas.get(area_id) or {"id": area_id, "name": None, "_counts": {}}
        counts = area.pop("_counts")
        area.update(_score(counts, weights))
        area["inspections"] = inspection_counts.get(area_id, 0)
        area["checkpoints_inspected"] = sum(1 for p, f in counts.values() if p + f)
        area["sites_inspected"] = inspection_rows[area_id]["sites"] if area_id in inspection_rows else 0
        area["sites"] = sites_per_area.get(area_id, 0)
        area["inspected"] = True
        area_rows.append(area)
    area_rows.sort(
        key=lambda r: (
            r["percent"] is None,
            r["percent"] if r["percent"] is not None else HUNDRED,
            -r["points_at_risk"],
            r["name"] or "",
        )
    )

    # The sub-districts nobody inspected in the period: listed after the others, as 未检查.
    seen = {row["id"] for row in area_rows}
    for area in subdistricts:
        if area["pk"] in seen:
            continue
        area_rows.append(
            {
                "id": area["pk"],
                "name": area["name"],
                **_score({}, weights),
                "inspections": 0,
                "checkpoints_inspected": 0,
                "sites_inspected": 0,
                "sites": sites_per_area.get(area["pk"], 0),
                "inspected": False,
            }
        )

    overall = _score({pk: (r["passes"], r["fails"]) for pk, r in per_checkpoint.items()}, weights)
    all_checkpoints = [cp for criterion in criterion_rows for cp in criterion["checkpoints"]]
    unknown = [cp for cp in all_checkpoints if not cp["known"]]
    unknown_points = sum((cp["weight"] for cp in unknown), Decimal(0))
    judged = [(weights[pk], r["passes"], r["passes"] + r["fails"]) for pk, r in per_checkpoint.items() if pk in weights]
    earned = sum((weight * passes / n for weight, passes, n in judged if n), Decimal(0))
    total_points = sum((weight for weight, _passes, n in judged if n), Decimal(0)) + unknown_points
    subdistrict_ids = {area["pk"] for area in subdistricts}
    overall.update(
        {
            # The honest headline: unknown counted as failed (low) and as passed (high).
            "low": _percent(earned, total_points),
            "high": _percent(earned + unknown_points, total_points),
            "checkpoints_inspected": len(all_checkpoints) - len(unknown),
            "sites": sum(sites_per_area.values()),
            "sites_inspected": sum(row["sites"] for row in inspection_rows.values()),
            "subdistricts": len(subdistricts),
            "subdistricts_inspected": len(subdistrict_ids & set(inspection_rows)),
            "inspections": sum(inspection_counts.values()),
            "passes": sum(r["passes"] for r in per_checkpoint.values()),
            "fails": sum(r["fails"] for r in per_checkpoint.values()),
            "na": sum(r["na"] for r in per_checkpoint.values()),
            "checkpoints": len(all_checkpoints),
            "unknown_checkpoints": len(unknown),
            "unknown_points": _points(sum((cp["weight"] for cp in unknown), Decimal(0))),
        }
    )
    return {"since": since, "overall": overall, "areas": area_rows, "criteria": criterion_rows}
