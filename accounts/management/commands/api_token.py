from django.core.management.base import BaseCommand, CommandError

from accounts.services import token_create
from organisation.models import User


class Command(BaseCommand):
    help = "Make an API token for a person (the key is printed once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="phone", help="what the key is for, e.g. the phone's owner")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        token, key = token_create(user=user, name=name)
        self.stdout.write(key)
        self.stderr.write(f"token {token.prefix}… for {user} ({name}); send it as 'Authorization: Bearer <key>'")
