"""Posting a screen form of the map with one field made hostile."""

from tests.hostile.harness import Findings, poisoned
from tests.hostile.surfaces import FormSurface


def post_form(
    probes, world, surface: FormSurface, field: str, value, *, case: str, expect: str, found: Findings, picture=False
):
    """Fresh objects for the surface, its valid data with `field` set to `value`, posted as its
    persona, and the answer judged."""
    ctx = surface.prepare(world)
    data = surface.valid(world, ctx)
    data[surface.field(field, ctx)] = value
    probe = probes[surface.persona]
    answer = probe.send(
        f"{surface.name}.{field.replace('{cp}', '<checkpoint>')}",
        case,
        "post",
        surface.url(world, ctx),
        data=data,
    )
    found.judge(answer, expect=surface.expect(field, value, expect), stored_ok=surface.stores, picture=picture)
    return answer


class PoisonWatch:
    """What was poisoned before a test, so that the rows it edits in place (a bulletin's title, a
    five-in-place record) are checked too: at the end, every new line is a finding."""

    def __init__(self, label: str):
        self.label = label
        self.before = set(poisoned())

    def report(self, found: Findings) -> None:
        reported = "\n".join(found.lines)
        for line in sorted(set(poisoned()) - self.before):
            if line in reported:
                continue
            found.add(f"{self.label} × (rows edited in place)", f"stored poisoned: {line}")
