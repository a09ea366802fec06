"""Background jobs in the system administrator's screen, read-only: when a job failed, its
traceback is here (django_tasks_db registers a screen of its own; ours goes through the edge
and the three administrators' rights like every other, core.admin.RoleAdmin)."""

from django.contrib import admin
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from core.admin import SYSTEM, RoleAdmin

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(RoleAdmin, DBTaskResultAdmin):
    view_roles = frozenset({SYSTEM})
