"""Writes to problems. problem_transition is the only code that changes a problem's status; the
per-action functions below check their own arguments and call it. Views, the API, imports and
management commands all come through here."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import access
from core import clock
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.files import atomic_with_files
from core.once import once_per_key
from core.services import DOCUMENT, PHOTO, attachments_store
from core.states import transition
from organisation.models import Unit
from problems import reminders, selectors
from problems.models import Problem, ProblemCounter, ProblemEvent
from problems.signals import problem_merged
from problems.states import MACHINE, NEEDS_REASON, OPEN, Action, Status
from standard.models import Criterion

logger = logging.getLogger(__name__)


def _acting_unit(actor, problem: Problem) -> Unit | None:
    """The unit an actor acts for: the assigned unit when they belong to it, else their first."""
    roles = access.actor_for(actor).roles
    if problem.assigned_unit_id in roles:
        return problem.assigned_unit
    return Unit.objects.filter(pk__in=roles).order_by("kind", "code").first()


def problem_transition(
    *,
    problem: Problem,
    action: str,
    actor,
    note: str = "",
    changes: dict | None = None,
    files=(),
    documents=(),
) -> Problem:
    """Move a problem one step around the closed loop, through core.states.transition (lock,
    rights, version, table, save, event, side effects after commit). Checks first what only a
    problem has: a reason where the action needs one; a closure records its moment. Any refusal
    leaves the database as it was. `files` are photos; `documents` (rectification evidence only)
    are linked to the same event, and the bulletin leaves them out of its photos."""
    if action == Action.RECORD:
        raise IllegalTransition(gettext("登记问题请使用 problem_record"))
    note = (note or "").strip()
    if action in NEEDS_REASON and not note:
        raise InvalidInput(gettext("「%(action)s」必须填写理由") % {"action": Action(action).label})
    now = clock.now()
    changes = dict(changes or {})
    if MACHINE.target(action) == Status.CLOSED:
        changes.update(closed_at=now, closed_on=clock.today())
    if action in (Action.ASSIGN, Action.REASSIGN, Action.RETURN):
        changes["escalation"] = None  # a new cycle: its reminders and escalations start again
    if action == Action.RETURN:
        fixed = changes

        # Of the locked row: a return counted from a stale copy would lose a concurrent one.
        def changes(current: Problem) -> dict:
            return {**fixed, "return_count": current.return_count + 1}

    def record(current: Problem, *, previous: str, at) -> ProblemEvent:
        # The files first: the event's hash covers the evidence it links to (core.chain).
        stored = attachments_store(actor=actor, files=files, kind=PHOTO) if files else []
        stored += attachments_store(actor=actor, files=documents, kind=DOCUMENT) if documents else []
        seq = current.events.count() + 1
        # The messages commit with the step or not at all (notifications.services.notify).
        reminders.step_messages(
            current,
            action=action,
            note=note,
            event_key=f"{action}{seq}",
            recorder=_recorder(current) if action == Action.SUBMIT else None,
        )
        return ProblemEvent.objects.create(
            problem=current,
            seq=seq,
            action=action,
            from_status=previous,
            to_status=current.status,
            actor=actor,
            actor_unit=_acting_unit(actor, current),
            at=at,
            note=note,
            unit=current.assigned_unit,
            deadline=current.deadline,
            attachments=stored,
        )

    current = transition(
        problem,
        machine=MACHINE,
        action=action,
        actor=actor,
        # Nothing closes on the word of the unit that fixed it: access decides, on the locked row.
        may=lambda current: access.can_problem_action(actor, action, current),
        record=record,
        changes=changes,
        at=now,
        after_commit=lambda current, event: _after_transition(current.pk, event.pk),
        # select_related("assigned_unit") for the event's unit; of=("self",) locks only the problem.
        queryset=Problem.objects.select_related("assigned_unit"),
    )
    # The fresh copy: the caller's old one is stale now and would be refused next time.
    return current


def _recorder(problem: Problem):
    """Who recorded the problem: the inspector whose finding it was hears that it is ready for
    verification (the supervision team's queue, /problems/verify/, shows it to all of them)."""
    first = ProblemEvent.objects.filter(problem=problem, action=Action.RECORD).select_related("actor").first()
    return first.actor if first is not None else None


def _after_transition(problem_id: int, event_id: int) -> None:
    """Side effects of a step that may only follow its commit: a line in the log. (Messages are
    not side effects of this kind: they are written in the step's transaction, see record().)"""
    logger.info("problem %s: event %s committed", problem_id, event_id)


def _check_deadline(deadline: dt.date) -> None:
    if not isinstance(deadline, dt.date):
        raise InvalidInput(gettext("请填写整改期限"))
    if deadline < clock.today():
        raise InvalidInput(gettext("整改期限 %(date)s 已过，不能早于今天") % {"date": clock.cn_date(deadline)})


@once_per_key(Problem, by="recorded_by")
def problem_record(
    *,
    actor,
    campaign,
    site,
    criterion: Criterion,
    description: str,
    severity: str = Problem.Severity.MINOR,
    source: str = Problem.Source.INSPECTION,
    photos=(),
    found_at: dt.datetime | None = None,
    submit_key=None,
) -> Problem:
    """Record a finding. Links it as a rebound when the same site and criterion had a problem
    closed within REBOUND_WINDOW_DAYS, and as resembling (`resembles`, 疑似重复) the nearest open
    problem of the same criterion at the site or within DUPLICATE_DISTANCE_M
    (selectors.possible_duplicates): the person was shown it and chose to record anyway, or did
    not see it (an import, a phone offline); the office can merge them later.

    `found_at` is when the problem was found (a phone's time of recording, checked by the caller);
    it is the problem's 发现时间 and gives its year, so a problem found at 23:50 on 31 December and
    synced after midnight is numbered in the old year. Without it, now."""
    if not access.can_problem_action(actor, Action.RECORD, None):
        raise NotAllowed(gettext("只有爱卫办和督导组可以登记问题"))
    description = (description or "").strip()
    if not description:
        raise InvalidInput(gettext("请填写问题描述"))
    if criterion.level == Criterion.Level.CATEGORY:
        raise InvalidInput(gettext("问题须对应到具体指标或检查要点，不能只选类别"))
    if criterion.standard_id != campaign.standard_id:
        raise InvalidInput(gettext("所选标准条目不属于本次创卫工作的标准"))
    if severity not in Problem.Severity.values or source not in Problem.Source.values:
        raise InvalidInput(gettext("严重程度或来源无效"))
    now = clock.now()
    window_start = now - dt.timedelta(days=settings.REBOUND_WINDOW_DAYS)
    with atomic_with_files():
        rebound_of = (
            Problem.objects.filter(
                site=site,
                criterion=criterion,
                status=Status.CLOSED,
                closed_at__gte=window_start,
                closed_at__lte=now,
            )
            .order_by("-closed_at", "-id")
            .first()
        )
        candidates = selectors.possible_duplicates(campaign, site, criterion, user=actor, limit=1)
        found_at = found_at or now
        year = timezone.localtime(found_at).year
        problem = Problem.objects.create(
            year=year,
            sequence=ProblemCounter.take_next(year),
            campaign=campaign,
            site=site,
            criterion=criterion,
            description=description,
            severity=severity,
            source=source,
            recorded_by=actor,
            recorded_at=found_at,
            status=Status.RECORDED,
            rebound_of=rebound_of,
            resembles=candidates[0] if candidates else None,
            version=1,
            submit_key=submit_key,
        )
        stored = attachments_store(actor=actor, files=photos, kind=PHOTO)
        if stored:
            problem.photos.set(stored)
        ProblemEvent.objects.create(
            problem=problem,
            seq=1,
            action=Action.RECORD,
            from_status="",
            to_status=Status.RECORDED,
            actor=actor,
            actor_unit=_acting_unit(actor, problem),
            at=now,
            # Stored in the trail, so written in Chinese whatever language the recorder's screen is in.
            note=f"反弹：同一点位同一指标的问题 {rebound_of.number} 于 {clock.zh_date(rebound_of.closed_at)} 销号"
            if rebound_of
            else "",
        )
        transaction.on_commit(lambda: _after_transition(problem.pk, None))
    return problem


def problem_found_again(*, actor, problem: Problem, note: str, photos=()) -> ProblemEvent:
    """再次发现: the same open problem found or reported again (inspections' sync links a second
    finding to it; the office's record form links a report to it instead of a new number). A note
    in the trail, under the problem's row lock, with the new photos as its evidence and among the
    problem's photos; the status, the unit and the deadline stay as they are."""
    if not access.can_problem_action(actor, Action.FOUND_AGAIN, problem):
        raise NotAllowed(gettext("只有爱卫办和督导组可以登记问题"))
    with atomic_with_files():
        current = Problem.objects.select_for_update(of=("self",)).select_related("assigned_unit").get(pk=problem.pk)
        if current.status not in OPEN:
            raise IllegalTransition(
                gettext("问题 %(number)s 已「%(status)s」，不能再记为再次发现，请登记新问题")
                % {"number": current.number, "status": current.get_status_display()}
            )
        stored = attachments_store(actor=actor, files=photos, kind=PHOTO) if photos else []
        if stored:
            current.photos.add(*stored)
        return ProblemEvent.objects.create(
            problem=current,
            seq=current.events.count() + 1,
            action=Action.FOUND_AGAIN,
            from_status=current.status,
            to_status=current.status,
            actor=actor,
            actor_unit=_acting_unit(actor, current),
            at=clock.now(),
            note=note,
            unit=current.assigned_unit,
            deadline=current.deadline,
            attachments=stored,
        )


def problem_merge(*, actor, problem: Problem, into: Problem, reason: str) -> Problem:
    """合并: close `problem` as a duplicate of `into` (the survivor), a step of the closed loop.

    1. Only the PHC office (access), with a reason; `into` must be another problem of the same
       campaign, still open (not closed, cancelled or itself merged).
    2. Both rows are locked, in id order (two merges of the same pair at once cannot deadlock).
    3. `problem` moves to 已合并 through problem_transition (its event, version, rights, state),
       with `merged_into` pointing at the survivor.
    4. Its photos are linked to the survivor (the same files, no copy of the bytes), and the
       survivor's trail gets a note (并入重复问题) holding them as evidence.
    5. After the commit, problems.signals.problem_merged tells whoever listens (the citizen
       reports move their reporters to the survivor)."""
    if not access.can_problem_action(actor, Action.MERGE, problem):
        raise NotAllowed(MACHINE.message(MACHINE.not_allowed, problem, Action.MERGE))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("「%(action)s」必须填写理由") % {"action": Action.MERGE.label})
    if into is None:
        raise InvalidInput(gettext("请填写要合并到的问题编号"))
    if into.pk == problem.pk:
        raise InvalidInput(gettext("问题 %(number)s 不能合并到它自己") % {"number": problem.number})
    with atomic_with_files():
        locked = {
            p.pk: p
            for p in Problem.objects.select_for_update(of=("self",)).filter(pk__in=[problem.pk, into.pk]).order_by("pk")
        }
        survivor = locked[into.pk]
        if survivor.status == Status.MERGED:
            raise IllegalTransition(
                gettext("问题 %(number)s 已合并到问题 %(other)s，不能作为合并目标")
                % {"number": survivor.number, "other": survivor.merged_into.number}
            )
        if survivor.status not in OPEN:
            raise IllegalTransition(
                gettext("问题 %(number)s 已「%(status)s」，只能合并到尚未办结的问题")
                % {"number": survivor.number, "status": survivor.get_status_display()}
            )
        if survivor.campaign_id != locked[problem.pk].campaign_id:
            raise InvalidInput(gettext("只能合并到同一创卫工作中的问题"))
        # An unpublished covert finding must not reach the inspected unit through the survivor's
        # photos and trail before its results are published.
        secret = set(access.secret_problem_ids().filter(problem_id__in=locked).values_list("problem_id", flat=True))
        if problem.pk in secret and survivor.pk not in secret:
            raise IllegalTransition(
                gettext("问题 %(number)s 是尚未公布结果的暗访发现的，结果公布后才能合并") % {"number": problem.number}
            )
        merged = problem_transition(
            problem=problem,
            action=Action.MERGE,
            actor=actor,
            note=reason,
            changes={"merged_into": survivor, "escalation": None},
        )
        photos = list(merged.photos.all())
        if photos:
            survivor.photos.add(*photos)
        ProblemEvent.objects.create(
            problem=survivor,
            seq=survivor.events.count() + 1,
            action=Action.MERGED_IN,
            from_status=survivor.status,
            to_status=survivor.status,
            actor=actor,
            actor_unit=_acting_unit(actor, survivor),
            at=clock.now(),
            # Stored in the trail, so written in Chinese whatever the language of the screen.
            note=f"问题 {merged.number} 作为重复问题并入本问题（理由：{reason}）",
            unit=survivor.assigned_unit,
            deadline=survivor.deadline,
            attachments=photos,
        )
        event = merged.events.order_by("-seq").first()
        transaction.on_commit(lambda: _announce_merge(merged, survivor, actor, event))
    return merged


def _announce_merge(merged: Problem, survivor: Problem, actor, event: ProblemEvent) -> None:
    """problems.signals.problem_merged, once the merge is committed. send_robust: a receiver that
    fails is logged by Django (django.dispatch) and the others still run; the merge stands."""
    problem_merged.send_robust(sender=Problem, problem=merged, into=survivor, actor=actor, event=event)


def problem_assign(*, actor, problem: Problem, unit: Unit, deadline: dt.date, note: str = "") -> Problem:
    """交办: hand the problem to exactly one unit with a deadline. A covert inspection's finding
    waits until its results are published: the unit could not see it, yet it would fall due."""
    _check_unit(unit)
    _check_deadline(deadline)
    if access.secret_problem_ids().filter(problem_id=problem.pk).exists():
        raise IllegalTransition(
            gettext("问题 %(number)s 是尚未公布结果的暗访发现的，结果公布后才能交办") % {"number": problem.number}
        )
    return problem_transition(
        problem=problem,
        action=Action.ASSIGN,
        actor=actor,
        note=note,
        changes={"assigned_unit": unit, "deadline": deadline},
    )


def problem_reassign(*, actor, problem: Problem, unit: Unit, reason: str, deadline: dt.date | None = None) -> Problem:
    """改派: pass the problem to another unit, with the reason. Counted, so buck-passing shows."""
    _check_unit(unit)
    if unit.pk == problem.assigned_unit_id:
        raise InvalidInput(gettext("改派的单位与当前责任单位相同"))
    changes = {"assigned_unit": unit}
    if deadline is not None:
        _check_deadline(deadline)
        changes["deadline"] = deadline
    return problem_transition(problem=problem, action=Action.REASSIGN, actor=actor, note=reason, changes=changes)


def problem_submit_evidence(*, actor, problem: Problem, note: str, files=(), documents=()) -> Problem:
    """The responsible unit reports the fix with text, photos and documents."""
    if not (note or "").strip() and not files and not documents:
        raise InvalidInput(gettext("请填写整改情况或上传整改照片"))
    return problem_transition(
        problem=problem, action=Action.SUBMIT, actor=actor, note=note, files=files, documents=documents
    )


def problem_close(*, actor, problem: Problem, note: str = "", files=()) -> Problem:
    """复核通过并销号: verified on site by someone outside the responsible unit."""
    return problem_transition(problem=problem, action=Action.CLOSE, actor=actor, note=note, files=files)


def problem_return(*, actor, problem: Problem, reason: str, files=()) -> Problem:
    """退回返工: verification failed; back to the unit with the reason."""
    return problem_transition(problem=problem, action=Action.RETURN, actor=actor, note=reason, files=files)


def problem_cancel(*, actor, problem: Problem, reason: str) -> Problem:
    """撤销: only the PHC office, only with a reason (a duplicate, a mistaken record)."""
    return problem_transition(problem=problem, action=Action.CANCEL, actor=actor, note=reason)


def _check_unit(unit: Unit) -> None:
    if unit is None or not unit.is_active:
        raise InvalidInput(gettext("请选择一个在用的责任单位"))
    if unit.kind in (Unit.Kind.PHC_OFFICE, Unit.Kind.LEADERSHIP):
        raise InvalidInput(gettext("「%(unit)s」不能作为整改责任单位") % {"unit": unit})
