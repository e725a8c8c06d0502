"""Light county geometry: projection and insets, shared simplification, size, caching."""

import json

import numpy as np
import pytest
import shapely

from maps.geometry import GeometryCache, county_geometry
from maps.projection import INSETS, Scope
from maps.topology import decode_topology


@pytest.fixture(scope="module")
def national(maps):
    return maps.geometry.get(Scope())


def test_aleutians_across_the_antimeridian_stay_beside_alaska():
    # Two points 1 degree of longitude apart on either side of the antimeridian, at 52 N.
    points = np.array([shapely.Point(179.5, 52.0), shapely.Point(-179.5, 52.0)])
    for scope in (Scope(), Scope("AK")):
        west, east = scope.project(points, np.array(["AK", "AK"]))
        assert shapely.distance(west, east) < 80  # km: ~69 km apart, 0.35x on the national map


def test_inset_frames_lie_clear_of_the_contiguous_states_and_each_other(national, snapshot):
    counties = snapshot.counties
    contiguous = ~counties["state_abbr"].isin(list(INSETS)).to_numpy()
    projected = Scope().project(
        counties.geometry.to_numpy()[contiguous], counties["state_abbr"].to_numpy()[contiguous]
    )
    frames = [shapely.box(*frame) for frame in national.insets]
    assert len(frames) == len(INSETS)
    for i, frame in enumerate(frames):
        assert not shapely.intersects(frame, projected).any()
        assert not any(frame.intersects(other) for other in frames[i + 1 :])


def test_national_geometry_keeps_every_county_and_is_light(national, snapshot):
    geometries = national.topology["objects"]["counties"]["geometries"]
    assert [g["id"] for g in geometries] == sorted(snapshot.counties["county_fips"])
    assert all(g["arcs"] for g in geometries)
    assert len(json.dumps(national.topology, separators=(",", ":"))) < 800_000
    width = national.bounds[2] - national.bounds[0]
    assert width < 5_000  # km: no county drawn on the far side of the antimeridian


def test_alaska_alone_is_not_stretched_across_the_world(maps):
    minx, _, maxx, _ = maps.geometry.get(Scope("AK")).bounds
    assert maxx - minx < 4_000


@pytest.mark.parametrize("state", ["TX", "VA", "AK"])
def test_neighbours_meet_without_gaps_or_overlaps(maps, snapshot, state):
    counties = snapshot.counties[snapshot.counties["state_abbr"] == state]
    scope = Scope(state)
    decoded = shapely.make_valid(decode_topology(maps.geometry.get(scope).topology, "counties"))
    union = shapely.union_all(decoded)
    overlap = shapely.area(decoded).sum() - shapely.area(union)
    original = shapely.coverage_union_all(
        scope.project(counties.geometry.to_numpy(), counties["state_abbr"].to_numpy())
    )
    holes_now = sum(len(p.interiors) for p in shapely.get_parts(union))
    holes_before = sum(len(p.interiors) for p in shapely.get_parts(original))
    assert overlap < 0.01  # km²
    assert holes_now <= holes_before  # no sliver opened between two neighbours


def test_geometry_is_built_once_per_scope(snapshot):
    cache = GeometryCache(snapshot.counties)
    assert cache.get(Scope("DE")) is cache.get(Scope("DE"))
    assert cache.get(Scope("DE")).fips == ("10001", "10003", "10005")


def test_state_map_is_finer_than_the_national_map(snapshot):
    delaware = county_geometry(snapshot.counties, Scope("DE"))
    assert delaware.topology["transform"]["scale"][0] < 0.1  # km grid
    assert delaware.insets == ()
