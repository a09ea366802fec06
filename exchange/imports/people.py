"""People by username, with the unit and role of each: an import adds memberships, never removes
one, and never touches an administrator's account."""

import re

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import access
from core.security import Kind, log_event, zh
from exchange.imports.columns import CHOICE, CODE, TEXT, Column, Option
from exchange.imports.importer import BATCH, Importer, unit_options, update_fields
from organisation.models import Membership, Unit, User


class PersonImporter(Importer):
    kind = "people"
    label = gettext_lazy("人员")
    sheet = "人员"
    key = "username"
    example_key = "示例zhangsan"
    UNIT_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)
    PHONE = re.compile(r"^[0-9+\- ]{3,20}$")
    columns = (
        Column("username", "用户名", CODE, True, 150, help="登录用的用户名，已有的人员按用户名更新。"),
        Column("full_name", "姓名", TEXT, True, 50),
        Column("phone", "手机号", CODE, False, 20),
        Column("unit", "单位编码", CHOICE, True, choices="单位编码", help="所在单位（街道办事处或部门）的编码。"),
        Column("role", "角色", CHOICE, True, choices="角色", help="一把手、分管领导、联络员、督导组成员或只读。"),
    )

    def load_options(self):
        return {
            "单位编码": unit_options(self.UNIT_KINDS),
            "角色": [Option(str(label), value) for value, label in Membership.Role.choices],
        }

    def aliases(self):
        return {
            "角色": {
                "一把手": Membership.Role.HEAD,
                "第一责任人": Membership.Role.HEAD,
                "分管领导": Membership.Role.DEPUTY,
                "直接责任人": Membership.Role.DEPUTY,
                "督导组": Membership.Role.INSPECTOR,
            }
        }

    def example(self):
        units = self.options()["单位编码"]
        return {
            "username": self.example_key,
            "full_name": "张三",
            "phone": "13800000000",
            "unit": units[0].text if units else None,
            "role": str(Membership.Role.LIAISON.label),
        }

    def notes(self, max_rows):
        return [
            *super().notes(max_rows),
            _("7. 每人一行。导入只增加任职，不删除原有任职；调离、停用请在后台处理。"),
            _("8. 新建的人员没有密码，由系统管理员设置后才能登录。爱卫办和区领导的人员由系统管理员在后台设置。"),
        ]

    def prepare(self):
        self.validator = UnicodeUsernameValidator()
        self.unit_kinds = dict(Unit.objects.values_list("pk", "kind"))
        self.protected = set(
            User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | ~Q(admin_role="")).values_list(
                "username", flat=True
            )
        )

    def check(self, row, report):
        v = row.values
        if v["username"] is not None:
            try:
                self.validator(v["username"])
            except ValidationError:
                report.add(row.number, self.header("username"), _("只能包含字母、数字、汉字和 @ . + - _"))
        if v["username"] in self.protected:
            report.add(row.number, self.header("username"), _("这是系统管理账号，不能通过导入修改"))
        if v["role"] and v["unit"] and access.grants_oversight(self.unit_kinds.get(v["unit"], ""), v["role"]):
            # Verifying other units' work is a right the security administrator grants, with a
            # trace; an import by the office would hand it out unseen.
            report.add(
                row.number,
                self.header("role"),
                _("「督导组成员」须由安全管理员在系统管理中授予，不能通过导入设置"),
            )
        if v["phone"] and not self.PHONE.match(v["phone"]):
            report.add(row.number, self.header("phone"), _("「%(text)s」不是电话号码") % {"text": v["phone"]})

    def write(self, rows, report):
        """The people first (the new ones without a password), then the memberships they lack."""
        users, new, touched = self._write_people(rows)
        touched |= self._add_memberships(rows, users)
        updated = len(touched - {u.username for u in new})
        return len(new), updated, len(rows) - len(new) - updated

    def _write_people(self, rows) -> tuple[dict[str, User], list[User], set[str]]:
        """Every row's person by username, the ones created, and the usernames of those updated."""
        users: dict[str, User] = {}
        usernames = [r.values["username"] for r in rows]
        for start in range(0, len(usernames), BATCH):
            for user in User.objects.filter(username__in=usernames[start : start + BATCH]):
                users[user.username] = user
        new = []
        touched = set()
        for row in rows:
            v = row.values
            values = {"full_name": v["full_name"], "phone": v["phone"] or ""}
            user = users.get(v["username"])
            if user is None:
                user = User(username=v["username"], password=make_password(None), **values)
                new.append(user)
                users[user.username] = user
            elif update_fields(user, values):
                touched.add(user.username)
        User.objects.bulk_create(new, batch_size=BATCH)
        if new:  # bulk_create gives ids on PostgreSQL and SQLite alike, but read them back to be sure
            ids = dict(User.objects.filter(username__in=[u.username for u in new]).values_list("username", "pk"))
            for user in new:
                user.pk = ids[user.username]
        return users, new, touched

    def _add_memberships(self, rows, users: dict[str, User]) -> set[str]:
        """Add the memberships the rows name and the people lack; the usernames that got one."""
        held = set(
            Membership.objects.filter(user__in=[users[r.values["username"]].pk for r in rows]).values_list(
                "user_id", "unit_id", "role"
            )
        )
        memberships = []
        touched = set()
        for row in rows:
            v = row.values
            user = users[v["username"]]
            if (user.pk, v["unit"], v["role"]) not in held:
                memberships.append(Membership(user_id=user.pk, unit_id=v["unit"], role=v["role"]))
                held.add((user.pk, v["unit"], v["role"]))
                touched.add(user.username)
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        names = {user.pk: user.username for user in users.values()}
        for membership in memberships:
            log_event(
                Kind.ROLE_CHANGE,
                user=self.actor,
                target=f"organisation.user:{membership.user_id}",
                summary=f"导入授予「{names[membership.user_id]}」{zh(membership.get_role_display())}"
                f"（单位 {membership.unit_id}）",
                details={"granted": {"unit": membership.unit_id, "role": membership.role}, "by": "import"},
            )
        return touched
