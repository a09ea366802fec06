from problems import services
from problems.models import Problem
from problems.states import Status


def test_world_builds_and_a_problem_can_be_recorded(world):
    problem = services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="巷口垃圾堆积",
    )
    assert problem.status == Status.RECORDED
    assert problem.number == "2026-000001"
    assert Problem.objects.get().events.get().action == "record"
