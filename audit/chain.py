"""The append-only tables' hash chains (core.chain), verified: `chain_violations`, called by
audit.checks.audit.

For every append-only table, rows are read in chain order (`chain_seq`) and each is checked:
- its position follows the previous row's (a gap means rows were deleted; a repeat or a step
  back, that rows were slipped in or renumbered);
- its `chain_prev` is the previous row's `chain_hash` (else a row between them was removed,
  inserted or replaced);
- its `chain_hash` is the SHA-256 of its content as it is now (else the row, or for a problem
  event its evidence links, changed after it was written);
and the table's last row is its chain head (core.models.ChainHead: rows deleted from the end, or
added there by hand, show as a difference). The triggers that refuse UPDATE and DELETE
(core.trail) must be in place and enabled.

Streamed in chunks: memory does not grow with the rows (except the problem events' evidence
links, one small list per event that has files). At most MAX_PER_TABLE sentences per table,
then a count of the rest: a renumbering of a million rows is one finding, not a million lines.
"""

from django.db import connection
from django.utils import translation

from core import chain, trail
from core.models import ChainHead

MAX_PER_TABLE = 20


def label(model) -> str:
    with translation.override("zh-hans"):
        return f"{model._meta.verbose_name}（{model._meta.db_table}）"


def chain_violations(checked: dict[str, int], chunk_size: int = 10_000) -> list[str]:
    violations: list[str] = []
    rows = 0
    models = trail.append_only_models()
    unguarded = set(trail.tables_without_triggers(connection, [t for m in models for t in trail.tables_of(m)]))
    heads = dict(ChainHead.objects.values_list("table", "seq"))
    head_hashes = dict(ChainHead.objects.values_list("table", "hash"))
    for model in models:
        name = label(model)
        for table in trail.tables_of(model):
            if table in unguarded:
                violations.append(f"{name}：表 {table} 缺少拒绝修改和删除的触发器（或已停用）")
        found, count = table_violations(model, name, heads, head_hashes, chunk_size)
        rows += count
        if len(found) > MAX_PER_TABLE:
            found = found[:MAX_PER_TABLE] + [f"{name}：另有 {len(found) - MAX_PER_TABLE} 处同类问题未列出"]
        violations += found
    checked["哈希链记录"] = rows
    return violations


def _links(model) -> dict[str, dict[int, list[int]]]:
    found = {}
    for name in model.chained_links:
        field = model._meta.get_field(name)
        through = field.remote_field.through
        by_row: dict[int, list[int]] = {}
        for row, other in (
            through._base_manager.values_list(field.m2m_field_name() + "_id", field.m2m_reverse_field_name() + "_id")
            .order_by()
            .iterator()
        ):
            by_row.setdefault(row, []).append(other)
        found[name] = by_row
    return found


def table_violations(model, name: str, heads: dict, head_hashes: dict, chunk_size: int) -> tuple[list[str], int]:
    canon = chain.canon_of(model)
    links = _links(model)
    found: list[str] = []
    previous_seq, previous_hash = 0, chain.GENESIS
    count = 0
    fields = ["pk", "chain_hash", *canon.attnames]
    at_seq, at_prev = canon.attnames.index("chain_seq"), canon.attnames.index("chain_prev")
    for pk, stored, *values in (
        model._base_manager.order_by("chain_seq", "pk").values_list(*fields).iterator(chunk_size=chunk_size)
    ):
        count += 1
        seq, prev = values[at_seq], values[at_prev]
        where = f"{name}第 {seq} 条（id {pk}）"
        if seq is None:
            found.append(f"{where}：没有链序号，未经正常追加写入")
            continue
        if seq > previous_seq + 1:
            missing = (
                f"第 {previous_seq + 1} 条" if seq == previous_seq + 2 else f"第 {previous_seq + 1} 至 {seq - 1} 条"
            )
            found.append(f"{name}：缺少{missing}（在第 {seq} 条之前），记录被删除")
        elif seq <= previous_seq:
            found.append(f"{where}：序号与前一条重复或倒退，记录被插入或重新编号")
        elif prev != previous_hash:
            found.append(f"{where}：所记前一条哈希与第 {previous_seq} 条不符，两者之间的记录被删除、插入或替换")
        row_links = {link: by_row.get(pk, []) for link, by_row in links.items()}
        if canon.row_hash(values, row_links) != stored:
            found.append(f"{where}：内容与本条哈希不符，写入后被修改")
        previous_seq, previous_hash = max(previous_seq, seq), stored
    table = model._meta.db_table
    head_seq, head_hash = heads.get(table, 0), head_hashes.get(table, chain.GENESIS)
    if head_seq > previous_seq:
        found.append(f"{name}：链头记到第 {head_seq} 条，表中只到第 {previous_seq} 条，末尾的记录被删除")
    elif head_seq < previous_seq:
        found.append(f"{name}：表中有第 {previous_seq} 条，链头只记到第 {head_seq} 条，末尾的记录未经正常追加写入")
    elif head_hash != previous_hash:
        found.append(f"{name}：第 {previous_seq} 条的哈希与链头不符，末尾的记录被替换")
    return found, count


# ---- anchors: chain heads kept outside the database ------------------------------------------------
#
# The chain shows a change made by anyone who leaves the later hashes alone. Someone with the
# owner's or a superuser's rights who knows the rule could recompute every hash after the row they
# change, and the head. What they cannot change is a copy of the heads kept elsewhere (printed by
# `manage.py chain_heads`, stored with the off-site backups or by the audit administrator): a
# row's hash covers every row before it, so if the row at an anchored position still has the
# anchored hash, nothing up to it has changed.


def heads() -> list[tuple[str, int, str]]:
    """(table, last position, its hash) of every append-only table, in table order."""
    found = dict((t, (s, h)) for t, s, h in ChainHead.objects.values_list("table", "seq", "hash"))
    return [(m._meta.db_table, *found.get(m._meta.db_table, (0, chain.GENESIS))) for m in trail.append_only_models()]


def parse_anchors(text: str) -> list[tuple[int, str, int, str]]:
    """(line number, table, position, hash) from lines "table position hash"; # starts a comment."""
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 64:
            raise ValueError(f"锚点文件第 {number} 行格式不对，应为「表名 条数 哈希」")
        anchors.append((number, parts[0], int(parts[1]), parts[2]))
    return anchors


def anchor_violations(anchors: list[tuple[int, str, int, str]]) -> list[str]:
    models = {m._meta.db_table: m for m in trail.append_only_models()}
    found = []
    for number, table, seq, anchored in anchors:
        model = models.get(table)
        if model is None:
            found.append(f"锚点文件第 {number} 行：没有只追加表 {table}")
            continue
        if seq == 0:
            continue
        name = label(model)
        rows = list(model._base_manager.filter(chain_seq=seq).order_by("pk").values_list("pk", "chain_hash"))
        if not rows:
            found.append(f"{name}：留存的锚点指向第 {seq} 条，表中已没有该条，记录被删除")
        elif all(stored != anchored for _, stored in rows):
            found.append(f"{name}第 {seq} 条（id {rows[0][0]}）：哈希与留存的锚点不符，第 {seq} 条及以前的记录被改写")
    return found
