"""People, units and memberships (organisation.models): a unit is the PHC office, the district
leadership, a sub-district office or a department; a person holds roles in units; heads,
deputies and liaisons do a unit's own work (Membership.ACTING_ROLES); a unit that is no longer
used is deactivated, never deleted, and its memberships then count for nothing (access)."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

import access
from organisation.models import Membership, Unit, User
from tests.factories import MembershipFactory, UnitFactory, UserFactory

Role = Membership.Role


def memberships() -> list[tuple[str, str, str]]:
    return list(Membership.objects.order_by("pk").values_list("user__username", "unit__code", "role"))


# ---- people ------------------------------------------------------------------------------------


def test_a_person_reads_as_the_full_name(world):
    assert (str(world.liaison_a), world.liaison_a.get_full_name()) == ("周晓", "周晓")


def test_a_person_without_a_full_name_reads_as_the_username(db):
    person = UserFactory(username="zhouxiao", full_name="")

    assert (str(person), person.get_full_name()) == ("zhouxiao", "zhouxiao")


def test_deleting_a_person_deletes_their_memberships_and_nothing_of_the_unit(world):
    person = UserFactory(username="temp", full_name="临时工")
    MembershipFactory(user=person, unit=world.unit_a, role=Role.VIEWER)
    before = Membership.objects.count()

    person.delete()

    assert Membership.objects.count() == before - 1
    assert not Membership.objects.filter(user__username="temp").exists()
    assert Unit.objects.filter(code="SD01", is_active=True).exists()


# ---- units -------------------------------------------------------------------------------------


def test_the_unit_kinds_are_the_office_the_leadership_subdistrict_offices_and_departments():
    assert Unit.Kind.choices == [
        ("phc_office", "爱卫办"),
        ("leadership", "区领导"),
        ("subdistrict", "街道办事处"),
        ("department", "部门"),
    ]


def test_units_are_listed_by_kind_then_code(world):
    UnitFactory(code="A01", name="西城街道办事处", kind=Unit.Kind.SUBDISTRICT)

    assert list(Unit.objects.values_list("kind", "code")) == [
        ("department", "DP01"),
        ("department", "DP02"),
        ("leadership", "LEAD"),
        ("phc_office", "PHC"),
        ("subdistrict", "A01"),
        ("subdistrict", "SD01"),
    ]


def test_a_unit_reads_as_its_short_name_else_its_full_name(world):
    assert (str(world.unit_a), str(world.office_unit)) == ("东城街道", "区爱卫办")


def test_a_subdistrict_office_answers_for_its_area(world):
    assert world.unit_a.area == world.east
    assert list(world.east.units.all()) == [world.unit_a]


@pytest.mark.parametrize("field, value", [("code", "SD01"), ("name", "东城街道办事处")], ids=["same code", "same name"])
def test_two_units_cannot_share_a_code_or_a_name(world, field, value):
    other = {"code": "SD99", "name": "西城街道办事处", field: value}

    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(kind=Unit.Kind.SUBDISTRICT, **other)

    assert Unit.objects.count() == 5


def test_a_new_unit_is_in_use(db):
    assert UnitFactory(code="DP09", name="区卫生健康委员会").is_active is True


def test_a_unit_with_members_cannot_be_deleted(db):
    health = UnitFactory(code="DP09", name="区卫生健康委员会")
    MembershipFactory(unit=health, role=Role.LIAISON)

    with pytest.raises(ProtectedError), transaction.atomic():
        health.delete()

    assert list(Membership.objects.values_list("unit__code", flat=True)) == ["DP09"]


def test_deactivating_a_unit_keeps_its_memberships_but_they_no_longer_count(world):
    before = memberships()

    Unit.objects.filter(pk=world.unit_a.pk).update(is_active=False)

    assert memberships() == before
    liaison = User.objects.get(pk=world.liaison_a.pk)  # a new request: no cached Actor
    assert access.actor_for(liaison).roles == {}
    assert access.actor_for(liaison).acting_unit_ids == frozenset()


# ---- memberships -------------------------------------------------------------------------------


def test_the_roles_are_head_deputy_liaison_inspector_and_viewer_with_their_chinese_names():
    assert Role.choices == [
        ("head", "一把手（第一责任人）"),
        ("deputy", "分管领导（直接责任人）"),
        ("liaison", "联络员"),
        ("inspector", "督导组成员"),
        ("viewer", "只读"),
    ]


def test_only_heads_deputies_and_liaisons_do_a_units_own_work():
    assert Membership.ACTING_ROLES == frozenset({"head", "deputy", "liaison"})


def test_a_person_acts_only_for_the_units_where_they_hold_an_acting_role(world):
    # 李强 inspects for 城管局 and reads 东城街道's ledger; 周晓 is also 城管局's liaison.
    MembershipFactory(user=world.inspector, unit=world.unit_a, role=Role.VIEWER)
    MembershipFactory(user=world.liaison_a, unit=world.unit_b, role=Role.LIAISON)
    inspector = User.objects.get(pk=world.inspector.pk)
    liaison = User.objects.get(pk=world.liaison_a.pk)

    assert access.actor_for(inspector).unit_ids == {world.unit_a.pk, world.unit_b.pk}
    assert access.actor_for(inspector).acting_unit_ids == frozenset()
    assert access.actor_for(liaison).acting_unit_ids == {world.unit_a.pk, world.unit_b.pk}


def test_a_person_may_hold_two_roles_in_one_unit(world):
    MembershipFactory(user=world.liaison_a, unit=world.unit_a, role=Role.DEPUTY)

    assert sorted(world.liaison_a.memberships.values_list("unit__code", "role")) == [
        ("SD01", "deputy"),
        ("SD01", "liaison"),
    ]


def test_the_same_role_twice_in_the_same_unit_is_refused(world):
    before = memberships()

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=world.liaison_a, unit=world.unit_a, role=Role.LIAISON)

    assert memberships() == before


def test_a_membership_reads_as_person_unit_and_role(world):
    membership = Membership.objects.get(user=world.liaison_a)

    assert str(membership) == "周晓 · 东城街道 · 联络员"
