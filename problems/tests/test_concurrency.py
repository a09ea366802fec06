"""Two people acting on the same problem at the same moment, in separate processes' worth of
database connections: exactly one of them wins, the other is told the problem changed, and the
trail shows one step. Problem numbers handed out at the same moment never collide.

Real threads, each with its own database connection, released together by a barrier; committed
rows (transaction=True), since each thread sees only what the others commit. On PostgreSQL the
writers queue on the problem's row lock (select_for_update) and on the year's counter row; on
SQLite (a file database, see config/settings_test.py) on the write lock that every transaction
takes at BEGIN (transaction_mode IMMEDIATE), with a busy timeout instead of an error. Either way
the second writer reads what the first committed."""

import threading
from functools import partial

import pytest
from django.db import connection

from core.errors import DomainError, IllegalTransition, StaleObject
from problems import services
from problems.models import Problem, ProblemCounter
from problems.states import TRANSITIONS, Action, Status
from problems.tests.helpers import recorded_problem, submitted_problem

pytestmark = pytest.mark.django_db(transaction=True)


def at_the_same_moment(*calls, timeout=30):
    """Run each call in its own thread with its own database connection, all released at once.
    Returns, per call, ("ok", result) or ("refused", the DomainError)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = ("ok", call())
        except DomainError as refused:
            outcomes[index] = ("refused", refused)
        except BaseException as crash:  # reported below, in the test's own thread
            outcomes[index] = ("crashed", crash)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    crashes = [outcome[1] for outcome in outcomes if outcome[0] == "crashed"]
    if crashes:
        raise crashes[0]
    return outcomes


def one_winner(outcomes) -> tuple[int, DomainError]:
    """The index of the one call that succeeded, and the refusal the other got."""
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    kinds = [kind for kind, _ in outcomes]
    return kinds.index("ok"), outcomes[kinds.index("refused")][1]


def close(world, problem):
    return services.problem_close(actor=world.inspector, problem=problem, note="复核合格")


def close_by_office(world, problem):
    return services.problem_close(actor=world.office, problem=problem, note="爱卫办复核合格")


def return_(world, problem):
    return services.problem_return(actor=world.inspector, problem=problem, reason="仍有积水")


def cancel(world, problem):
    return services.problem_cancel(actor=world.office, problem=problem, reason="重复登记")


def load_and_act(act, world, pk):
    """What a request does: read the problem as it is now, then act on it."""
    return act(world, Problem.objects.get(pk=pk))


# Each side: the action, who takes it, how.
CONTESTS = {
    "close and return": ((Action.CLOSE, "inspector", close), (Action.RETURN, "inspector", return_)),
    "two verifiers close": ((Action.CLOSE, "inspector", close), (Action.CLOSE, "office", close_by_office)),
    "return and cancel": ((Action.RETURN, "inspector", return_), (Action.CANCEL, "office", cancel)),
}


@pytest.mark.parametrize("contest", CONTESTS.values(), ids=CONTESTS.keys())
def test_two_people_acting_on_the_copy_they_both_saw_one_wins(world, contest):
    for _ in range(3):
        problem = submitted_problem(world)
        copies = [Problem.objects.get(pk=problem.pk), Problem.objects.get(pk=problem.pk)]

        (_, _, first), (_, _, second) = contest
        winner, refused = one_winner(
            at_the_same_moment(partial(first, world, copies[0]), partial(second, world, copies[1]))
        )

        action, who, _ = contest[winner]
        stored = Problem.objects.get(pk=problem.pk)
        assert (stored.status, stored.version) == (TRANSITIONS[action][1], problem.version + 1)
        assert isinstance(refused, StaleObject)
        assert refused.message == (
            f"问题 {stored.number} 已被他人处理（现为「{stored.get_status_display()}」），请刷新后重试"
        )
        assert [(e.action, e.actor) for e in stored.events.order_by("seq")] == [
            (Action.RECORD, world.inspector),
            (Action.ASSIGN, world.office),
            (Action.SUBMIT, world.liaison_a),
            (action, getattr(world, who)),
        ]


def test_two_requests_loading_and_acting_at_once_leave_one_step(world):
    """Each request reads the problem itself, at about the same moment as the other: the loser
    either held the same version (StaleObject) or read it after the winner (IllegalTransition)."""
    for _ in range(3):
        problem = submitted_problem(world)

        winner, refused = one_winner(
            at_the_same_moment(
                partial(load_and_act, close, world, problem.pk), partial(load_and_act, return_, world, problem.pk)
            )
        )

        stored = Problem.objects.get(pk=problem.pk)
        assert stored.status == [Status.CLOSED, Status.RETURNED][winner]
        assert list(stored.events.order_by("seq").values_list("action", flat=True)) == [
            Action.RECORD,
            Action.ASSIGN,
            Action.SUBMIT,
            [Action.CLOSE, Action.RETURN][winner],
        ]
        assert isinstance(refused, (StaleObject, IllegalTransition))
        # Either way the message names the problem and the state the other person left it in.
        assert refused.message.startswith(f"问题 {stored.number} ")
        assert f"「{stored.get_status_display()}」" in refused.message


@pytest.mark.parametrize("already_recorded", [0, 3], ids=["first of the year", "counter exists"])
def test_problems_recorded_at_the_same_moment_get_distinct_consecutive_numbers(world, already_recorded):
    for _ in range(already_recorded):
        recorded_problem(world)

    outcomes = at_the_same_moment(*[lambda: recorded_problem(world)] * 8)

    assert [kind for kind, _ in outcomes] == ["ok"] * 8
    numbers = sorted(problem.number for _, problem in outcomes)
    assert numbers == [f"2026-{n:06d}" for n in range(already_recorded + 1, already_recorded + 9)]
    assert Problem.objects.count() == already_recorded + 8
    assert ProblemCounter.objects.get(year=2026).last == already_recorded + 8
