"""Small builders for closed-loop tests. Every step goes through the services, so a problem built
here has the same trail as one built by people on screens."""

import datetime as dt

from core.models import Attachment
from problems import services
from problems.models import Problem
from tests.factories import jpeg_bytes

DEADLINE = dt.date(2026, 5, 20)  # eight days after the tests' "today"


def photo(name: str = "整改后.jpg") -> tuple[str, bytes]:
    return (name, jpeg_bytes())


def recorded_problem(world, *, site=None, criterion=None, description="巷口垃圾堆积") -> Problem:
    return services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=site or world.site,
        criterion=criterion or world.checkpoint,
        description=description,
    )


def assigned_problem(world, *, unit=None, deadline=DEADLINE, **record) -> Problem:
    problem = recorded_problem(world, **record)
    return services.problem_assign(actor=world.office, problem=problem, unit=unit or world.unit_a, deadline=deadline)


def submitted_problem(world, **assign) -> Problem:
    problem = assigned_problem(world, **assign)
    return services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清运垃圾", files=[photo()])


def returned_problem(world, **assign) -> Problem:
    problem = submitted_problem(world, **assign)
    return services.problem_return(actor=world.inspector, problem=problem, reason="仍有积水")


def closed_problem(world, **assign) -> Problem:
    problem = submitted_problem(world, **assign)
    return services.problem_close(actor=world.inspector, problem=problem, note="现场复核合格")


def cancelled_problem(world, **assign) -> Problem:
    problem = assigned_problem(world, **assign)
    return services.problem_cancel(actor=world.office, problem=problem, reason="重复登记")


def trail(problem: Problem) -> list[tuple]:
    """The problem's events as (action, from, to, actor, acting unit, responsible unit, note)."""
    return [
        (e.action, e.from_status, e.to_status, e.actor, e.actor_unit, e.unit, e.note)
        for e in problem.events.select_related("actor", "actor_unit", "unit").order_by("seq")
    ]


def snapshot(problem: Problem) -> dict:
    """Everything a refused change must leave as it was."""
    row = Problem.objects.values().get(pk=problem.pk)
    return {"row": row, "events": problem.events.count(), "attachments": Attachment.objects.count()}
