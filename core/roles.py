"""The two PostgreSQL roles of a deployment, as SQL a DBA runs (`manage.py db_roles` prints it).

- The **owner** role owns the database, its tables and the triggers that keep the append-only
  tables append-only (core.trail). It runs `manage.py migrate` and nothing else: its URL is used
  for migrations and backups only.
- The **app** role is what the web server and the workers connect as. It may SELECT, INSERT,
  UPDATE and DELETE rows (the triggers still refuse UPDATE and DELETE on the append-only tables)
  and use the id sequences. It owns nothing, so it can neither drop, disable nor replace a
  trigger, nor alter, truncate or create a table; it is not a superuser, so it cannot turn
  triggers off for its session (`session_replication_role`).

Neither is a superuser. Changes to the trail by the owner (or a superuser) are what the hash chain
(core.chain) and `audit_check` are for.
"""

import re
from dataclasses import dataclass

NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Roles:
    """Names are plain lower-case identifiers (checked), so they go into the SQL as they are."""

    owner: str = "chuangwei_owner"
    app: str = "chuangwei_app"
    database: str = "chuangwei"

    def __post_init__(self):
        for value in (self.owner, self.app, self.database):
            if not NAME.fullmatch(value):
                raise ValueError(f"not a plain lower-case name: {value!r}")
        if self.owner == self.app:
            raise ValueError("the owner and the app must be two roles")

    def create_roles(self) -> list[str]:
        """Run once on the cluster, by a superuser (psql variables owner_password, app_password)."""
        owner, app = self.owner, self.app
        return [
            f"CREATE ROLE {owner} LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE",
            f"CREATE ROLE {app} LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
            f"CREATE DATABASE {self.database} OWNER {owner} ENCODING 'UTF8' TEMPLATE template0",
        ]

    def grants(self) -> list[str]:
        """Run in the database, by a superuser: what the app role may do, on the tables there now
        and on those the owner's migrations create later."""
        owner, app, database = self.owner, self.app, self.database
        rows = "SELECT, INSERT, UPDATE, DELETE"
        return [
            f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
            f"GRANT CONNECT ON DATABASE {database} TO {app}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA public TO {app}",
            f"GRANT {rows} ON ALL TABLES IN SCHEMA public TO {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT {rows} ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        ]

    def take_over(self, previous: str) -> list[str]:
        """For a database that already exists and whose tables belong to another role (say
        `postgres`, when the app used to connect as a superuser): the owner role takes the
        database, the schema's tables, sequences and functions."""
        if not NAME.fullmatch(previous):
            raise ValueError(f"not a plain lower-case name: {previous!r}")
        owner = self.owner
        return [
            f"ALTER DATABASE {self.database} OWNER TO {owner}",
            f"""DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT c.oid::regclass::text AS name FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
        AND pg_get_userbyid(c.relowner) = '{previous}' LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
  -- identity sequences followed their tables; the others:
  FOR item IN SELECT c.oid::regclass::text AS name FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) = '{previous}' LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure::text AS name FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = '{previous}' LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
END $$""",
        ]

    def revoke(self) -> list[str]:
        """Undo `grants` (before dropping the app role)."""
        owner, app, database = self.owner, self.app, self.database
        rows = "SELECT, INSERT, UPDATE, DELETE"
        return [
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public REVOKE {rows} ON TABLES FROM {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {app}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app}",
            f"REVOKE ALL ON SCHEMA public FROM {app}",
            f"REVOKE ALL ON DATABASE {database} FROM {app}",
        ]

    def script(self, *, host: str = "127.0.0.1", port: int = 5432, take_over_from: str = "") -> str:
        """The whole script for psql, with the two DATABASE_URLs it leads to."""
        database = self.database
        lines = [
            '-- chuangwei: the database\'s two roles (docs/ARCHITECTURE.md, "Two database roles").',
            "-- Run as a superuser, giving the two passwords as psql variables:",
            f"--   psql -h {host} -p {port} -U postgres -v ON_ERROR_STOP=1 \\",
            "--        -v owner_password='…' -v app_password='…' -f roles.sql",
            "-- Then:",
            f"--   migrations: DATABASE_URL=postgres://{self.owner}:<owner_password>@{host}:{port}/{database}"
            " python manage.py migrate",
            f"--   the app:    DATABASE_URL=postgres://{self.app}:<app_password>@{host}:{port}/{database}",
            "",
        ]
        if take_over_from:
            lines += ["-- The roles (the database exists already).", *(s + ";" for s in self.create_roles()[:2])]
        else:
            lines += [
                "-- The roles and the database, owned by the owner role.",
                *(s + ";" for s in self.create_roles()),
            ]
        lines += ["", f"\\connect {database}"]
        if take_over_from:
            lines += [
                "",
                f"-- The owner role takes over what {take_over_from} owned.",
                *(s + ";" for s in self.take_over(take_over_from)),
            ]
        lines += [
            "",
            "-- What the app role may do: rows and sequences, nothing on the schema's objects themselves.",
            *(s + ";" for s in self.grants()),
            "",
        ]
        return "\n".join(lines)
