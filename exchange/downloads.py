"""The Excel exports as the worker makes them (core/downloads.py calls these by name): the same
rows as the immediate exports, for the person who asked, with the filters of their screen.

The filters travel as the list's query string and are bound to the list's filter form again
here, so an export made later holds exactly what the list showed them (the access rules are
asked again, as the requester, when the worker runs)."""

from django.http import QueryDict

from campaigns.forms import TaskFilterForm
from campaigns.models import Campaign
from campaigns.selectors import task_list
from core.downloads import counted
from core.forms import applicable_filters
from documents.xlsx import write_table
from exchange import exports
from problems.forms import ProblemFilterForm
from problems.selectors import problem_list


def problem_filters(query: str) -> dict:
    form = ProblemFilterForm(QueryDict(query) or None)
    return applicable_filters(form)


def ledger_filters(query: str, campaign: Campaign) -> dict:
    form = TaskFilterForm(QueryDict(query) or None, campaign=campaign)
    return applicable_filters(form)


def problems_xlsx(*, requester, parameters: dict, out, progress) -> dict:
    form = ProblemFilterForm(QueryDict(parameters["query"]) or None)
    filters = applicable_filters(form)
    total = problem_list(user=requester, filters=filters).count()
    about = exports.export_about(form, user=requester)
    table = exports.problem_table(user=requester, filters=filters, about=about)
    table.rows = counted(table.rows, total=total, progress=progress)
    return {"rows": write_table(table, out)}


def ledger_xlsx(*, requester, parameters: dict, out, progress) -> dict:
    campaign = Campaign.objects.get(pk=parameters["campaign"])
    form = TaskFilterForm(QueryDict(parameters["query"]) or None, campaign=campaign)
    filters = applicable_filters(form)
    total = task_list(user=requester, campaign=campaign, filters=filters).count()
    about = exports.export_about(form, user=requester)
    table = exports.ledger_table(user=requester, campaign=campaign, filters=filters, about=about)
    table.rows = counted(table.rows, total=total, progress=progress)
    return {"rows": write_table(table, out)}
