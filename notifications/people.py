"""Whom a rule tells, read from the organisation: a unit's people by role, the PHC office, the
district leaders. Accounts that are inactive or administrators' (三员分立) hear nothing here."""

from django.db.models import QuerySet

from organisation.models import Membership, Unit, User

Role = Membership.Role


def _people(**membership) -> QuerySet:
    return (
        User.objects.filter(is_active=True, admin_role="", memberships__unit__is_active=True)
        .filter(**{f"memberships__{k}": v for k, v in membership.items()})
        .distinct()
        .order_by("pk")
    )


def unit_people(unit: Unit, *roles: str) -> list[User]:
    return list(_people(unit=unit, role__in=roles))


def office_staff() -> list[User]:
    """The PHC office's people who act (its head, deputies, liaisons)."""
    return list(_people(unit__kind=Unit.Kind.PHC_OFFICE, role__in=Membership.ACTING_ROLES))


def district_leaders() -> list[User]:
    return list(_people(unit__kind=Unit.Kind.LEADERSHIP))
