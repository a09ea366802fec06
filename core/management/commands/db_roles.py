"""Print the SQL that sets up the two PostgreSQL roles (core.roles): an owner that runs the
migrations and owns the tables and their triggers, and the app's role, which reads and writes
rows but cannot drop or disable a trigger.

    python manage.py db_roles > roles.sql
    python manage.py db_roles --owner cw_owner --app cw_app --database chuangwei --host db.internal
    python manage.py db_roles --take-over-from postgres   # a database that exists already

Prints only; a DBA reads it and runs it with psql as a superuser."""

from django.core.management.base import BaseCommand, CommandError

from core.roles import Roles


class Command(BaseCommand):
    help = "打印建立数据库两个角色（属主、应用）的 SQL，由数据库管理员以超级用户执行"

    def add_arguments(self, parser):
        defaults = Roles()
        parser.add_argument("--owner", default=defaults.owner, help="属主角色：执行迁移，拥有表和触发器")
        parser.add_argument("--app", default=defaults.app, help="应用角色：只读写数据行")
        parser.add_argument("--database", default=defaults.database, help="数据库名")
        parser.add_argument("--host", default="127.0.0.1", help="写入 DATABASE_URL 示例的主机")
        parser.add_argument("--port", type=int, default=5432, help="写入 DATABASE_URL 示例的端口")
        parser.add_argument(
            "--take-over-from", default="", help="已有数据库：原先拥有这些表的角色（如 postgres），改归属主角色"
        )

    def handle(self, *args, owner, app, database, host, port, take_over_from, **options):
        try:
            roles = Roles(owner=owner, app=app, database=database)
            script = roles.script(host=host, port=port, take_over_from=take_over_from)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(script)
