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

The database does the counting, in four grouped queries whatever the number of inspections:
results per checkpoint, results per sub-district and checkpoint, inspections per sub-district,
and the checkpoints with their criteria. The weighting over those few rows is done here."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

import access
from core import clock
from inspections.models import CheckResult
from standard.models import Criterion

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
    # 3. inspections per sub-district
    inspection_counts = {
        row["site__area__parent_id"]: row["n"]
        for row in inspections.order_by().values("site__area__parent_id").annotate(n=Count("pk"))
    }
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
        area_rows.append(area)
    area_rows.sort(
        key=lambda r: (
            r["percent"] is None,
            r["percent"] if r["percent"] is not None else HUNDRED,
            -r["points_at_risk"],
            r["name"] or "",
        )
    )

    overall = _score({pk: (r["passes"], r["fails"]) for pk, r in per_checkpoint.items()}, weights)
    all_checkpoints = [cp for criterion in criterion_rows for cp in criterion["checkpoints"]]
    unknown = [cp for cp in all_checkpoints if not cp["known"]]
    overall.update(
        {
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
