"""Set a temporary password for a person from the server, e.g. to try the screens as someone of
another sub-district without /admin/: `manage.py set_password --unit SD02 --role liaison`."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.services import password_set_by_operator
from organisation.models import Membership, User


class Command(BaseCommand):
    help = (
        "Set a temporary password for a person, named by username or by unit code and role; "
        "they must change it at their next sign-in (except the demo's password under DEMO_MODE)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the person's username")
        parser.add_argument("--unit", help="a unit's code (SD02), with --role, instead of a username")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.LIAISON)
        parser.add_argument("--password", help="the new password (asked for when left out)")

    def handle(self, *args, username, unit, role, password, **options):
        if bool(username) == bool(unit):
            raise CommandError("give a username or --unit CODE (with --role), not both")
        if unit:
            membership = (
                Membership.objects.filter(unit__code=unit, role=role, user__is_active=True)
                .select_related("user", "unit")
                .order_by("user__username")
                .first()
            )
            if membership is None:
                raise CommandError(f"no active {role} in unit {unit!r}")
            user = membership.user
        else:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
        if user.admin_role or user.is_superuser:
            raise CommandError("administrators' passwords are not set this way: use /admin/ or createsuperuser")
        if not password:
            password = getpass.getpass(f"New password for {user.username}: ")
        if not password:
            raise CommandError("empty password")
        password_set_by_operator(user=user, new_password=password)
        units = "、".join(str(m.unit) for m in user.memberships.select_related("unit")) or "—"
        self.stdout.write(f"{user.username}\t{user.get_full_name()}\t{units}")
