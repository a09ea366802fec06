"""A checklist page carries an ETag; the phone's service worker sends it back when it refreshes
its kept copy, and an unchanged checklist answers 304 with nothing else (static/sw.js)."""

from django.urls import reverse

from inspections.tests.helpers import drawn_plan, with_checklist
from organisation.models import Membership
from standard.models import Criterion
from tests.factories import CriterionFactory, MembershipFactory, UserFactory


def checklist_url(plan, site):
    return reverse("inspections:checklist", args=[plan.uuid, site.code])


def test_an_unchanged_checklist_answers_304_and_a_changed_one_the_new_page(client, world):
    with_checklist(world)
    plan = drawn_plan(world, count=10)
    client.force_login(world.inspector)
    first = client.get(checklist_url(plan, world.site))
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')

    again = client.get(checklist_url(plan, world.site), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag

    # A checkpoint added to the site type's checklist: the page is new, and so is its tag.
    checkpoint = CriterionFactory(
        standard=world.campaign.standard, code="3.2.9", name="垃圾桶加盖", parent=world.criterion, position=3
    )
    world.site.site_type.checkpoints.add(checkpoint)
    changed = client.get(checklist_url(plan, world.site), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "垃圾桶加盖" in changed.content.decode()
    assert Criterion.objects.filter(code="3.2.9").exists()


def test_the_tag_is_the_persons_own(client, world):
    """Two inspectors of one plan: the page carries each one's own offline set-up, so a tag made
    for one never spares the other the page."""
    with_checklist(world)
    colleague = UserFactory(username="hanjing", full_name="韩静")
    MembershipFactory(user=colleague, unit=world.unit_c, role=Membership.Role.INSPECTOR)
    plan = drawn_plan(world, count=10, members=[world.inspector, colleague])
    client.force_login(world.inspector)
    mine = client.get(checklist_url(plan, world.site))["ETag"]
    client.force_login(colleague)
    theirs = client.get(checklist_url(plan, world.site), HTTP_IF_NONE_MATCH=mine)
    assert theirs.status_code == 200 and theirs["ETag"] != mine
    assert "hanjing" in theirs.content.decode()
