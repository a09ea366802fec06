"""The area tree (organisation.models.Area): district -> sub-district -> community, with grids
below when an office uses them. What the model holds: one code per area, a parent and its
children, an optional GeoJSON boundary, and no area removed while anything still hangs on it."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from organisation.models import Area
from tests.factories import AreaFactory, SiteFactory, UnitFactory

BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[113.66, 34.75], [113.67, 34.75], [113.67, 34.76], [113.66, 34.76], [113.66, 34.75]]],
}


def tree() -> list[tuple[str, str, str | None]]:
    return list(Area.objects.values_list("code", "kind", "parent__code"))


def test_the_kinds_are_district_subdistrict_community_and_grid_with_their_chinese_names():
    assert Area.Kind.choices == [
        ("district", "区"),
        ("subdistrict", "街道"),
        ("community", "社区"),
        ("grid", "网格"),
    ]


def test_the_tree_runs_from_the_district_through_the_subdistrict_to_the_community(world):
    assert tree() == [
        ("D01", "district", None),
        ("D01-01", "subdistrict", "D01"),
        ("D01-01-01", "community", "D01-01"),
    ]
    assert list(world.district.children.all()) == [world.east]
    assert list(world.east.children.all()) == [world.community]
    assert world.community.parent.parent == world.district


def test_a_grid_hangs_below_a_community(world):
    grid = AreaFactory(code="D01-01-01-01", name="第一网格", kind=Area.Kind.GRID, parent=world.community)

    assert list(world.community.children.all()) == [grid]
    assert grid.parent.parent.parent == world.district


def test_areas_are_listed_by_code_whatever_the_order_they_were_made_in(world):
    AreaFactory(code="D01-00", name="西城街道", kind=Area.Kind.SUBDISTRICT, parent=world.district)

    assert list(Area.objects.values_list("code", flat=True)) == ["D01", "D01-00", "D01-01", "D01-01-01"]


def test_two_areas_cannot_share_a_code(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaFactory(code="D01-01", name="另一个东城", kind=Area.Kind.SUBDISTRICT, parent=world.district)

    assert Area.objects.filter(code="D01-01").count() == 1


def test_an_area_with_areas_below_it_cannot_be_deleted(db):
    # No unit or site refers to these areas: only the tree holds them.
    district = AreaFactory(code="D01", name="示范区", kind=Area.Kind.DISTRICT)
    AreaFactory(code="D01-01", name="东城街道", kind=Area.Kind.SUBDISTRICT, parent=district)

    with pytest.raises(ProtectedError), transaction.atomic():
        district.delete()

    assert tree() == [("D01", "district", None), ("D01-01", "subdistrict", "D01")]


def test_an_area_a_subdistrict_office_covers_cannot_be_deleted(db):
    east = AreaFactory(code="D01-01", name="东城街道", kind=Area.Kind.SUBDISTRICT)
    UnitFactory(code="SD01", name="东城街道办事处", area=east)

    with pytest.raises(ProtectedError), transaction.atomic():
        east.delete()

    assert Area.objects.filter(code="D01-01").exists()


def test_an_area_with_sites_in_it_cannot_be_deleted(db):
    community = AreaFactory(code="D01-01-01", name="花园社区")
    SiteFactory(code="BS-0001", area=community)

    with pytest.raises(ProtectedError), transaction.atomic():
        community.delete()

    assert Area.objects.filter(code="D01-01-01").exists()


def test_a_leaf_area_nothing_refers_to_can_be_deleted(world):
    grid = AreaFactory(code="D01-01-01-01", name="第一网格", kind=Area.Kind.GRID, parent=world.community)

    grid.delete()

    assert list(world.community.children.all()) == []


def test_the_boundary_is_optional_and_kept_as_the_geojson_given(world):
    world.east.boundary = BOUNDARY
    world.east.save()

    assert Area.objects.get(code="D01-01").boundary == BOUNDARY
    assert Area.objects.get(code="D01-01-01").boundary is None


def test_an_area_reads_as_its_name(world):
    assert str(world.east) == "东城街道"
