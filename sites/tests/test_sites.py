"""Sites (点位, sites.models.Site): a place that is inspected, with a stable code of its own, a
type, an area, one owner unit and WGS-84 coordinates that the database keeps within range.
`Site.objects.active()` is the sites still in use, the only ones a plan may draw."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from sites.models import Site
from tests.factories import SiteFactory, SiteTypeFactory


def codes(queryset) -> list[str]:
    return list(queryset.values_list("code", flat=True))


def test_active_leaves_out_sites_no_longer_in_use(world):
    SiteFactory(code="BS-0003", name="旧货市场", area=world.community, owner_unit=world.unit_a, is_active=False)

    assert codes(Site.objects.active()) == ["BS-0001", "BS-0002"]
    assert codes(Site.objects.all()) == ["BS-0001", "BS-0002", "BS-0003"]


def test_active_chains_with_other_filters_in_either_order(world):
    SiteFactory(code="BS-0003", name="旧货市场", area=world.community, owner_unit=world.unit_a, is_active=False)
    SiteFactory(code="BS-0004", name="和平巷", area=world.community, owner_unit=world.unit_a)

    assert codes(Site.objects.active().filter(owner_unit=world.unit_a)) == ["BS-0001", "BS-0004"]
    assert codes(Site.objects.filter(owner_unit=world.unit_a).active()) == ["BS-0001", "BS-0004"]


def test_a_new_site_is_in_use(world):
    assert world.site.is_active is True


def test_sites_are_listed_by_code_whatever_the_order_they_were_made_in(world):
    SiteFactory(code="BS-0000", name="和平巷", area=world.community, owner_unit=world.unit_a)

    assert codes(Site.objects.all()) == ["BS-0000", "BS-0001", "BS-0002"]


def test_two_sites_cannot_share_a_code(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(code="BS-0001", name="另一个幸福巷", area=world.community, owner_unit=world.unit_b)

    assert list(Site.objects.filter(code="BS-0001").values_list("name", flat=True)) == ["幸福巷"]


def test_a_site_reads_as_its_name_and_code(world):
    assert str(world.site) == "幸福巷（BS-0001）"


def test_a_site_keeps_its_coordinates_to_six_decimals(world):
    SiteFactory(code="BS-0003", latitude="34.123456", longitude="-113.654321", area=world.community)

    assert Site.objects.values_list("latitude", "longitude").get(code="BS-0003") == (
        Decimal("34.123456"),
        Decimal("-113.654321"),
    )


def test_coordinates_are_optional(world):
    SiteFactory(code="BS-0003", latitude=None, longitude=None, area=world.community)

    assert Site.objects.values_list("latitude", "longitude").get(code="BS-0003") == (None, None)


@pytest.mark.parametrize(
    "latitude, longitude",
    [("90", "180"), ("-90", "-180"), ("0", "0")],
    ids=["north pole, date line", "south pole, date line west", "null island"],
)
def test_coordinates_on_the_edges_of_the_globe_are_kept(world, latitude, longitude):
    SiteFactory(code="EDGE", latitude=latitude, longitude=longitude, area=world.community)

    assert Site.objects.values_list("latitude", "longitude").get(code="EDGE") == (
        Decimal(latitude),
        Decimal(longitude),
    )


@pytest.mark.parametrize(
    "latitude, longitude",
    [("90.000001", "113"), ("-90.000001", "113"), ("34", "180.000001"), ("34", "-180.000001"), ("113.665", "34.757")],
    ids=["north of the pole", "south of the pole", "east of 180", "west of -180", "latitude and longitude swapped"],
)
def test_the_database_refuses_coordinates_off_the_globe(world, latitude, longitude):
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(code="OFF", latitude=latitude, longitude=longitude, area=world.community)

    assert not Site.objects.filter(code="OFF").exists()


def test_the_database_refuses_an_update_that_moves_a_site_off_the_globe(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.filter(pk=world.site.pk).update(latitude=Decimal("-91"))

    assert Site.objects.values_list("latitude", flat=True).get(pk=world.site.pk) == Decimal("34.757000")


@pytest.mark.parametrize("referred", ["site type", "area", "owner unit"])
def test_a_site_type_area_or_unit_with_sites_cannot_be_deleted(db, referred):
    site = SiteFactory(code="BS-0001", site_type=SiteTypeFactory(code="farmers_market", name="农贸市场"))
    target = {"site type": site.site_type, "area": site.area, "owner unit": site.owner_unit}[referred]

    with pytest.raises(ProtectedError), transaction.atomic():
        target.delete()

    assert Site.objects.filter(code="BS-0001", site_type__code="farmers_market").exists()
