"""The hash chain of the append-only tables (core.models.AppendOnly): what a row's hash covers,
and how a row takes its place at the end of its table's chain.

Every append-only row carries three columns:
- `chain_seq`: its position in its table's chain, 1, 2, 3 … with no gap (unique);
- `chain_prev`: the `chain_hash` of the row before it (64 zeros for the first);
- `chain_hash`: SHA-256 of the row's canonical content, which includes `chain_seq` and
  `chain_prev`, so a row cannot be edited, moved, removed or slipped in without breaking either
  its own hash or the next row's link.

The canonical content is a JSON object (sorted keys, no spaces, UTF-8) keyed by column name,
over every column except the primary key (given by the database after the hash is computed) and
`chain_hash`, leaving NULLs out (so a nullable column added later leaves old rows' hashes valid;
columns of an append-only table are never renamed or dropped). Values: foreign keys as ids,
datetimes in UTC ISO 8601 with microseconds, dates ISO, UUIDs dashed, IP addresses compressed,
JSON normalised (keys sorted, integral floats as integers, so PostgreSQL's jsonb and SQLite's text
give the same bytes). For the many-to-many fields a model names in `chained_links`, the sorted ids
it links to are part of the content too: a problem event's evidence files belong to the event,
are given with it to `objects.create()`, linked in the same transaction and hashed with it.

Appends to one table are serialised by its head row (core.models.ChainHead: the last position
and hash), locked on its own like a YearCounter: read it under the lock, number and hash the new
rows, insert them, move the head, commit. audit.chain walks every chain and compares its end
with the head.
"""

import datetime as dt
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import models

GENESIS = "0" * 64
CHAIN_FIELDS = ("chain_seq", "chain_prev", "chain_hash")


def _json_normal(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _json_normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_normal(item) for item in value]
    return value


def _datetime(value):
    if value.tzinfo is None:
        raise ValueError("naive datetime in an append-only row")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _plain(value):
    """A value of a field with no converter of its own, as JSON can write it."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    # A type nobody decided on (a time, a duration…) fails the first save loudly.
    raise TypeError(f"no canonical form for {type(value).__name__}")


# Fields whose values JSON writes as both databases give them back: no conversion.
_AS_IS = (models.BigIntegerField, models.BooleanField, models.CharField, models.IntegerField, models.TextField)


def _converter(field) -> Callable | None:
    if isinstance(field, models.ForeignKey):
        return _converter(field.target_field)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: _json_normal(json.loads(json.dumps(value, cls=encoder)))
    if isinstance(field, models.GenericIPAddressField):
        return lambda value: ipaddress.ip_address(value).compressed
    if isinstance(field, models.UUIDField):
        return lambda value: str(uuid.UUID(str(value)))
    if isinstance(field, models.DateTimeField):
        return _datetime
    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: str(Decimal(value).quantize(places))
    if isinstance(field, _AS_IS):
        return None
    return _plain


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Canon:
    """The canonical content of one model's rows (a model class, or a migration's historical one:
    `links` then names the chained many-to-many fields, which a historical model does not know)."""

    def __init__(self, model, links: Iterable[str] | None = None):
        opts = model._meta
        self.table = opts.db_table
        self.fields = [f for f in opts.concrete_fields if not f.primary_key and f.attname != "chain_hash"]
        self.attnames = [f.attname for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.converters = [_converter(f) for f in self.fields]
        self.links = tuple(getattr(model, "chained_links", ()) if links is None else links)

    def content(self, values: Iterable, links: dict[str, list[int]] | None = None) -> bytes:
        """`values` in the order of `self.attnames`; `links` the ids of each chained link field."""
        data = {}
        for column, convert, value in zip(self.columns, self.converters, values, strict=True):
            if value is not None:
                data[column] = value if convert is None else convert(value)
        for name in self.links:
            data[name] = sorted((links or {}).get(name, ()))
        return _ENCODER.encode(data).encode()

    def row_hash(self, values: Iterable, links: dict[str, list[int]] | None = None) -> str:
        return hashlib.sha256(self.content(values, links)).hexdigest()

    def seal(self, obj, *, seq: int, prev: str, links: dict[str, list[int]] | None = None) -> str:
        """Give an unsaved instance its place and hash; returns the hash."""
        obj.chain_seq = seq
        obj.chain_prev = prev
        obj.chain_hash = self.row_hash(self.prepared([getattr(obj, name) for name in self.attnames]), links)
        return obj.chain_hash

    def prepared(self, values: Iterable) -> list:
        """Values about to be written, as the database will give them back (a lazy string as
        text, a naive datetime made aware, a UUID given as text parsed): the write side of a
        hash must see what the read side will."""
        return [field.get_prep_value(value) for field, value in zip(self.fields, values, strict=True)]


_canons: dict[type, Canon] = {}


def canon_of(model) -> Canon:
    canon = _canons.get(model)
    if canon is None:
        canon = _canons[model] = Canon(model)
    return canon
