"""The rules with frozen time: who hears what, at which step of a problem's life, once.

The world (conftest.py): 东城街道 (unit_a) with 陈主任 (head), 刘副主任 (deputy), 周晓 (liaison),
孙阅 (viewer); 王芳 of the PHC office; 张书记 of the district leadership; the tests' today is
Tuesday 12 May 2026 and a problem assigned there is due on the 20th."""

import datetime as dt

import pytest
import time_machine

from audit.checks import audit
from conftest import SHANGHAI
from notifications.models import Channel, Endpoint, Message
from notifications.services import rule_set
from problems import reminders, services
from problems.models import Problem
from problems.states import Level
from problems.tests.helpers import DEADLINE, assigned_problem, returned_problem, submitted_problem
from tests.factories import jpeg_bytes


def inbox(user) -> list[str]:
    return list(
        Message.objects.filter(recipient=user, channel=Channel.INBOX)
        .order_by("created_at", "pk")
        .values_list("rule", flat=True)
    )


def on(day: dt.date, hour: int = 9):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def sweep_on(day: dt.date) -> dict:
    with on(day):
        return reminders.sweep()


def escalations(problem: Problem) -> list[tuple]:
    return [
        (e.action, e.level, e.from_status, e.to_status, e.actor_id, e.note)
        for e in problem.events.filter(level__isnull=False).order_by("seq")
    ]


def test_assigning_tells_the_units_liaison_and_nobody_else(world):
    problem = assigned_problem(world)
    assert inbox(world.liaison_a) == ["assigned"]
    message = Message.objects.get(recipient=world.liaison_a, channel=Channel.INBOX)
    assert message.subject == f"问题交办：{problem.number}，请于 2026年5月20日 前整改"
    assert message.body == "幸福巷 · 3.2.1：巷口垃圾堆积"
    assert message.link == f"/problems/{problem.uuid}/"
    for other in (world.head_a, world.deputy_a, world.viewer_a, world.liaison_b, world.office, world.leader):
        assert inbox(other) == []


def test_the_units_robot_hears_an_assignment_mentioning_the_liaison(world):
    world.liaison_a.phone = "13800000001"
    world.liaison_a.save()
    robot = Endpoint.objects.create(kind=Channel.WECOM, unit=world.unit_a, name="东城群", url="http://127.0.0.1:9/x")
    Endpoint.objects.create(kind=Channel.WECOM, unit=world.unit_b, name="城管群", url="http://127.0.0.1:9/y")
    assigned_problem(world)
    robots = Message.objects.filter(channel=Channel.WECOM)
    assert [(m.endpoint, m.mentions, m.state) for m in robots] == [(robot, ["13800000001"], Message.State.PENDING)]


def test_a_return_tells_the_liaison_the_reason_and_a_submission_tells_the_inspector(world):
    problem = submitted_problem(world)
    assert inbox(world.inspector) == ["submitted"]
    services.problem_return(actor=world.inspector, problem=problem, reason="仍有积水")
    returned = Message.objects.get(recipient=world.liaison_a, rule="returned", channel=Channel.INBOX)
    assert returned.subject == f"问题 {problem.number} 复核未通过，退回返工"
    assert returned.body.startswith("退回理由：仍有积水\n")


def test_a_step_that_is_refused_writes_no_message(world):
    problem = assigned_problem(world)
    before = Message.objects.count()
    with pytest.raises(Exception):  # noqa: B017 (any refusal)
        services.problem_close(actor=world.liaison_a, problem=problem, note="自己销号")
    assert Message.objects.count() == before


def test_the_chain_of_responsibility_day_by_day(world):
    """Due on the 20th: 2 days before, the liaison; the day after, liaison and deputy; 3 days
    late, head, deputy and office; 7 days late, the district leader and the office (督办).
    Each once, whatever how often the sweep runs."""
    problem = assigned_problem(world)
    version = problem.version
    assert sweep_on(dt.date(2026, 5, 17))["due_soon"] == 0
    assert sweep_on(dt.date(2026, 5, 18))["due_soon"] == 1
    assert sweep_on(dt.date(2026, 5, 18))["due_soon"] == 0  # the sweep runs every 15 minutes
    assert sweep_on(dt.date(2026, 5, 20))["overdue"] == 0  # due today is not late
    assert sweep_on(dt.date(2026, 5, 21))["overdue"] == 1
    assert sweep_on(dt.date(2026, 5, 23))["overdue_head"] == 1
    assert sweep_on(dt.date(2026, 5, 27))["supervised"] == 1
    assert sweep_on(dt.date(2026, 6, 30)) == {"due_soon": 0, "overdue": 0, "overdue_head": 0, "supervised": 0}

    assert inbox(world.liaison_a) == ["assigned", "due_soon", "overdue"]
    assert inbox(world.deputy_a) == ["overdue", "overdue_head"]
    assert inbox(world.head_a) == ["overdue_head"]
    assert inbox(world.office) == ["overdue_head", "supervised"]
    assert inbox(world.leader) == ["supervised"]
    assert inbox(world.viewer_a) == []
    supervised = Message.objects.get(recipient=world.leader)
    assert supervised.subject == f"【督办】东城街道办事处 问题 {problem.number} 已逾期 7 天"
    assert supervised.urgent

    problem.refresh_from_db()
    assert problem.escalation == Level.SUPERVISED
    assert escalations(problem) == [
        ("remind", 0, "assigned", "assigned", None, "到期提醒，已通知：周晓"),
        ("escalate", 1, "assigned", "assigned", None, "逾期催办，已通知：刘副主任、周晓"),
        ("escalate", 2, "assigned", "assigned", None, "逾期升级至一把手，已通知：陈主任、刘副主任、王芳"),
        ("escalate", 3, "assigned", "assigned", None, "督办，已通知：张书记、王芳"),
    ]
    assert problem.status == "assigned" and problem.version == version  # escalations move nothing
    # The integrity check reads the escalations in the trail and finds nothing wrong.
    assert audit() == []


def test_a_worker_down_for_a_week_fires_each_missed_level_once_on_waking(world):
    problem = assigned_problem(world)
    assert sweep_on(dt.date(2026, 5, 28)) == {"due_soon": 0, "overdue": 1, "overdue_head": 1, "supervised": 1}
    assert [e[1] for e in escalations(problem)] == [1, 2, 3]


def test_a_return_starts_the_chain_again_with_the_new_deadline(world):
    problem = assigned_problem(world)
    sweep_on(dt.date(2026, 5, 21))
    with on(dt.date(2026, 5, 21), 10):
        problem = services.problem_submit_evidence(
            actor=world.liaison_a, problem=problem, note="已清理", files=[("a.jpg", jpeg_bytes())]
        )
        problem = services.problem_return(actor=world.inspector, problem=problem, reason="仍有积水")
    assert problem.escalation is None
    # Returned with the old deadline still passed: overdue again, told again, in a new cycle.
    assert sweep_on(dt.date(2026, 5, 22))["overdue"] == 1
    assert inbox(world.liaison_a).count("overdue") == 2


def test_a_submitted_problem_is_not_chased(world):
    submitted_problem(world)
    assert sweep_on(dt.date(2026, 5, 30)) == {"due_soon": 0, "overdue": 0, "overdue_head": 0, "supervised": 0}


def test_the_office_changes_a_timing_and_switches_a_rule_off(world):
    rule_set(actor=world.office, rule="overdue", enabled=True, days=2, channels=[], quiet_hours_apply=True)
    rule_set(actor=world.office, rule="due_soon", enabled=False, days=2, channels=[], quiet_hours_apply=True)
    assigned_problem(world)
    assert sweep_on(dt.date(2026, 5, 18))["due_soon"] == 0
    assert sweep_on(dt.date(2026, 5, 21))["overdue"] == 0
    assert sweep_on(dt.date(2026, 5, 22))["overdue"] == 1


def test_only_the_office_changes_rules(world):
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        rule_set(actor=world.liaison_a, rule="overdue", enabled=False, days=1, channels=[], quiet_hours_apply=True)


def test_sms_waits_for_the_end_of_quiet_hours_but_an_escalation_to_heads_does_not(world):
    Endpoint.objects.create(kind=Channel.SMS, name="政务短信平台", url="http://127.0.0.1:9/sms")
    for person in (world.liaison_a, world.head_a, world.deputy_a):
        person.phone = "1390000000" + str(person.pk % 10)
        person.save()
    with on(dt.date(2026, 5, 12), 23):
        problem = assigned_problem(world, deadline=DEADLINE)
    sms = Message.objects.get(recipient=world.liaison_a, channel=Channel.SMS)
    assert sms.next_attempt_at == dt.datetime(2026, 5, 13, 7, 0, tzinfo=SHANGHAI)
    with on(dt.date(2026, 5, 23), 23):
        reminders.sweep()
    head_sms = Message.objects.get(recipient=world.head_a, channel=Channel.SMS)
    assert head_sms.next_attempt_at == dt.datetime(2026, 5, 23, 23, 0, tzinfo=SHANGHAI)
    assert problem.pk


def test_a_person_who_chose_no_sms_gets_none_but_keeps_the_notification_centre(world):
    from notifications.services import preference_set

    Endpoint.objects.create(kind=Channel.SMS, name="政务短信平台", url="http://127.0.0.1:9/sms")
    world.liaison_a.phone = "13900000001"
    world.liaison_a.save()
    preference_set(actor=world.liaison_a, channels=[])
    returned_problem(world)
    assert set(Message.objects.filter(recipient=world.liaison_a).values_list("channel", flat=True)) == {Channel.INBOX}


def test_a_returned_dossier_material_tells_the_units_liaison_with_the_reason(world):
    from dossier import services as dossier_services
    from dossier.models import Material

    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save()
    dossier_services.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    dossier_services.material_assign(actor=world.office, material=material, unit=world.unit_a)
    upload = dossier_services.submission_upload(
        actor=world.liaison_a, material=material, name="制度.pdf", data=b"%PDF-1.4\n%%EOF\n"
    )
    dossier_services.submission_transition(actor=world.office, submission=upload, action="return", reason="缺少盖章")
    message = Message.objects.get(recipient=world.liaison_a, rule="material_returned", channel=Channel.INBOX)
    assert (message.subject, message.body) == ("申报资料「保洁制度」被退回", "退回理由：缺少盖章（3.2）")
    assert message.link == f"/dossier/materials/{material.uuid}/"
    assert inbox(world.head_a) == [] and inbox(world.liaison_b) == []


def test_the_daily_digest_tells_each_units_head_and_the_weekly_one_the_leaders(world):
    from oversight import digests

    assigned_problem(world)
    assigned_problem(world, description="污水外溢", deadline=dt.date(2026, 5, 14))
    with on(dt.date(2026, 5, 15), 8):
        assert digests.digest_daily() == 1
        assert digests.digest_daily() == 1  # a second run the same day writes nothing more
        assert digests.digest_weekly() == 1
    daily = Message.objects.get(recipient=world.head_a, rule="digest_daily", channel=Channel.INBOX)
    assert daily.subject == "东城街道办事处 每日问题摘要（2026年5月15日）"
    assert daily.body == "在办 2 个，其中逾期 1 个、退回返工 0 个；本周到期 0 个。"
    assert Message.objects.filter(rule="digest_daily").count() == 1
    weekly = Message.objects.get(recipient=world.leader, rule="digest_weekly")
    assert (
        weekly.body == "逾期未整改 1 个，在办 2 个；近 7 天反弹 0 个。\n逾期最多的单位：\n1. 东城街道办事处 逾期 1 个"
    )
