"""Absurd dates and numbers through every date, datetime and number field of the screen forms.

Every case goes through every such field (they are few). A date must fall in the campaign's
sane range (harness: 2000–2100 at the widest; part "text" may narrow it); a number must be
finite and within its field's bounds."""

import pytest

from tests.hostile.corpus import DATE_CASES, DATETIME_CASES, NUMBER_CASES
from tests.hostile.harness import findings
from tests.hostile.posting import PoisonWatch, post_form
from tests.hostile.surfaces import FORMS

SURFACES = [s for s in FORMS if s.dates or s.datetimes or s.numbers]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_absurd_dates_and_numbers_are_refused(hostile, probes, surface):
    watch = PoisonWatch(surface.name)
    with findings() as found:
        for fields, cases in ((surface.dates, DATE_CASES), (surface.datetimes, DATETIME_CASES)):
            for field in fields:
                for case in cases:
                    expect = case.expect
                    post_form(probes, hostile, surface, field, case.value, case=case.name, expect=expect, found=found)
        for field in surface.numbers:
            name = field if field != "count_back_street" else f"count_{hostile.site.site_type.code}"
            for case in NUMBER_CASES:
                post_form(probes, hostile, surface, name, case.value, case=case.name, expect=case.expect, found=found)
        watch.report(found)
