"""WGS-84 <-> GCJ-02 (core/geo.py; static/js/geo.js is checked against it in test_browser.py).

Reference points: the test vectors published with eviltransform (github.com/googollee/
eviltransform), the conversion most Chinese map tooling uses, for Shanghai, Shenzhen and Beijing."""

import itertools

import pytest

from core import geo

PUBLISHED = [
    # WGS-84 lat, lng          -> GCJ-02 lat, lng
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai, Pudong
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen, Nanshan
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing, Xicheng
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_wgs84_to_gcj02_matches_published_conversions_within_a_metre(wgs, gcj):
    converted = geo.wgs84_to_gcj02(*wgs)
    assert geo.distance_m(*converted, *gcj) < 1.0


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_gcj02_to_wgs84_finds_the_original_point_within_a_metre(wgs, gcj):
    assert geo.distance_m(*geo.gcj02_to_wgs84(*gcj), *wgs) < 1.0


def test_the_offset_is_hundreds_of_metres_in_zhengzhou():
    """Why it matters: on GCJ-02 tiles an unshifted marker of our demo district lands about half
    a kilometre away, in the wrong street."""
    lat, lng = 34.75, 113.65
    assert 400 < geo.distance_m(*geo.wgs84_to_gcj02(lat, lng), lat, lng) < 700


@pytest.mark.parametrize(
    "point",
    [
        (51.5007, -0.1246),  # London
        (35.6586, 139.7454),  # Tokyo: east of the box
        (-33.8568, 151.2153),  # Sydney
        (60.0, 100.0),  # north of the box
        (0.5, 110.0),  # south of the box
    ],
)
def test_points_outside_china_are_left_unchanged(point):
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point
    assert geo.for_display(*point, "gcj02") == point


def test_a_round_trip_over_china_comes_back_within_a_centimetre():
    for lat, lng in itertools.product(range(18, 54, 5), range(75, 135, 6)):
        back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat + 0.123, lng + 0.456))
        assert geo.distance_m(*back, lat + 0.123, lng + 0.456) < 0.01


def test_display_follows_the_configured_tiles():
    assert geo.for_display("34.757000", "113.665000", "wgs84") == (34.757, 113.665)
    assert geo.for_display(34.757, 113.665, "gcj02") == geo.wgs84_to_gcj02(34.757, 113.665)


def test_the_tile_datum_must_be_wgs84_or_gcj02_in_any_case(monkeypatch):
    from config.env import ImproperlyConfiguredEnv, env_choice

    monkeypatch.setenv("MAP_TILE_COORDINATES", "bd09")
    with pytest.raises(ImproperlyConfiguredEnv, match="MAP_TILE_COORDINATES must be one of wgs84, gcj02"):
        env_choice("MAP_TILE_COORDINATES", "wgs84", ["wgs84", "gcj02"])
    monkeypatch.setenv("MAP_TILE_COORDINATES", "GCJ02")
    assert env_choice("MAP_TILE_COORDINATES", "wgs84", ["wgs84", "gcj02"]) == "gcj02"
