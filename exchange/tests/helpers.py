"""Building workbooks for import tests and reading the ones the app sends back."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import LedgerEvent, Task
from exchange.imports import KINDS
from organisation.models import Membership, Unit, User
from sites.models import Site

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers(kind: str) -> list[str]:
    return [column.header for column in KINDS[kind].columns]


def workbook_bytes(rows, *, title="Sheet1", setup=None) -> bytes:
    """An .xlsx holding `rows` (the first is the header) on one sheet; `setup(ws)` may merge
    cells, add formulas and so on before it is saved."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    if setup:
        setup(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def kind_file(kind: str, rows, **options) -> SimpleUploadedFile:
    """A file in the template's layout: its header, then `rows`."""
    return upload(workbook_bytes([headers(kind), *rows], title=KINDS[kind].sheet, **options))


def upload(data: bytes, name: str = "导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def open_response(response) -> openpyxl.Workbook:
    assert response["Content-Type"] == XLSX
    data = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(data))


def values(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def counts() -> dict[str, int]:
    """What an import may change: a refused file must leave every one of these as it was."""
    return {
        "units": Unit.objects.count(),
        "people": User.objects.count(),
        "memberships": Membership.objects.count(),
        "sites": Site.objects.count(),
        "tasks": Task.objects.count(),
        "ledger_events": LedgerEvent.objects.count(),
        "fingerprint": hash(
            (
                tuple(Unit.objects.order_by("pk").values_list("code", "name", "short_name", "kind", "is_active")),
                tuple(User.objects.order_by("pk").values_list("username", "full_name", "phone")),
                tuple(Site.objects.order_by("pk").values_list("code", "name", "owner_unit_id", "area_id")),
                tuple(Task.objects.order_by("pk").values_list("code", "title", "deadline", "responsible_id")),
            )
        ),
    }
