"""Poisoned text through every free-text field of every screen form.

Every case of corpus.TEXT_CASES goes through the first text field of each form; the other text
fields of the same form get corpus.TEXT_SUBSET (they are read by the same form machinery, so the
kinds of character matter, not the sizes again). Forms that keep nothing (sign-in, the security
administrator's) get the subset too: they must still not answer 500 on a NUL."""

import pytest

from tests.hostile.corpus import TEXT_CASES, TEXT_SUBSET
from tests.hostile.harness import findings
from tests.hostile.posting import PoisonWatch, post_form
from tests.hostile.surfaces import FORMS

TEXT_SURFACES = [s for s in FORMS if s.text]


@pytest.mark.parametrize("surface", TEXT_SURFACES, ids=lambda s: s.name)
def test_poisoned_text_is_refused_or_stored_clean(hostile, probes, surface):
    watch = PoisonWatch(surface.name)
    with findings() as found:
        for position, field in enumerate(surface.text):
            cases = TEXT_CASES if position == 0 and surface.stores else [c for c in TEXT_CASES if c.name in TEXT_SUBSET]
            for case in cases:
                post_form(probes, hostile, surface, field, case.value, case=case.name, expect=case.expect, found=found)
        watch.report(found)
