"""Importing units, people, sites and tasks from the Excel templates the app offers.

One importer for every kind: a kind lists its columns (header, required, type, allowed values) and
says how to check and write a row; `run_import` does the rest, the same way for all:

1. refuse what cannot be imported at all (exchange.reader: not a workbook, too many rows...);
2. check the header: every column of the template, nothing else;
3. read every row: formulas, merged cells, dates typed as text, missing and unknown values, keys
   that appear twice in the file, the kind's own checks; errors are collected per row and column,
   up to MAX_ERRORS;
4. only when the whole file is clean, write it in one transaction, updating by code (units by
   code, people by username, sites by code, tasks by task code) and creating the rest. Tasks go
   through campaigns.services, so the ledger's rules (one owner, deadlines only earlier) hold; a
   row a service refuses is reported like any other and the transaction is rolled back.

An import is all or nothing: a file with one bad row changes nothing.

The modules: run (steps 1 and 4, `run_import`), rows (steps 2 and 3), cells (one cell, typed and
normalised), columns (how a kind declares its columns), report (the row-by-row errors), importer
(what every kind is) and one module per kind: units, people, sites, tasks. The names other apps
use are the ones below."""

from exchange.imports.annotate import annotated_workbook
from exchange.imports.columns import Column, Option
from exchange.imports.importer import Importer, Row
from exchange.imports.people import PersonImporter
from exchange.imports.report import MAX_ERRORS, RowError
from exchange.imports.run import KINDS, MAX_ROWS, ImportResult, importer_for, run_import
from exchange.imports.sites import SiteImporter
from exchange.imports.tasks import TaskImporter
from exchange.imports.units import UnitImporter

__all__ = [
    "KINDS",
    "MAX_ERRORS",
    "MAX_ROWS",
    "Column",
    "annotated_workbook",
    "ImportResult",
    "Importer",
    "Option",
    "PersonImporter",
    "Row",
    "RowError",
    "SiteImporter",
    "TaskImporter",
    "UnitImporter",
    "importer_for",
    "run_import",
]
