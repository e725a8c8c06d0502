"""Light county geometry: projection and insets, shared simplification, size, caching."""

import json

import numpy as np
import pytest
import shapely

from maps.geometry import CountyGeometry, GeometryCache, county_geometry
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


def test_national_counties_decode_valid_without_gaps_or_overlaps(national, snapshot):
    # What the browser draws: a county rounded across its own or a neighbour's border would be
    # invalid here and overlap there (Yamhill OR, Hoonah-Angoon AK and Las Marías PR once did).
    _assert_flush(national, snapshot.counties, Scope())


@pytest.mark.parametrize("state", ["TX", "VA", "AK", "OR", "PR"])
def test_state_counties_decode_valid_without_gaps_or_overlaps(maps, snapshot, state):
    counties = snapshot.counties[snapshot.counties["state_abbr"] == state]
    _assert_flush(maps.geometry.get(Scope(state)), counties, Scope(state))


TOLERANCE_KM2 = 1e-6
"""One square metre, for float rounding only. The pairwise overlap check is exact; on the
national grid (multiples of 0.25 km, exact in binary) the area sums come out at exactly 0; and a
real gap has its corners on the grid, so by Pick's theorem it covers at least half a cell
(0.03 km² nationally, 0.001 km² on a state map)."""


def _assert_flush(geometry: CountyGeometry, counties, scope: Scope) -> None:
    decoded = decode_topology(geometry.topology, "counties")
    fips = np.array(geometry.fips)
    assert list(fips[~shapely.is_valid(decoded)]) == []
    left, right = shapely.STRtree(decoded).query(decoded, predicate="intersects")
    left, right = left[left < right], right[left < right]
    overlapping = shapely.relate_pattern(decoded[left], decoded[right], "T********")
    assert list(zip(fips[left[overlapping]], fips[right[overlapping]], strict=True)) == []
    union = shapely.union_all(decoded)
    assert shapely.area(decoded).sum() - shapely.area(union) < TOLERANCE_KM2
    # A gap is a hole in the drawn union that the boundaries did not have (a lake may move by
    # up to one grid step when rounded, hence the buffer).
    original = shapely.coverage_union_all(
        scope.project(counties.geometry.to_numpy(), counties["state_abbr"].to_numpy())
    )
    step = geometry.topology["transform"]["scale"][0]
    gaps = shapely.get_parts(
        shapely.difference(_holes(union), shapely.buffer(_holes(original), step))
    )
    area = shapely.area(gaps)
    assert area[area > TOLERANCE_KM2].tolist() == []


def _holes(union: shapely.Geometry) -> shapely.Geometry:
    rings, part = shapely.get_rings(shapely.get_parts(union), return_index=True)
    interior = np.r_[False, part[1:] == part[:-1]]
    return shapely.union_all(shapely.polygons(rings[interior]))


def test_geometry_is_built_once_per_scope(snapshot):
    cache = GeometryCache(snapshot.counties)
    assert cache.get(Scope("DE")) is cache.get(Scope("DE"))
    assert cache.get(Scope("DE")).fips == ("10001", "10003", "10005")


def test_state_map_is_finer_than_the_national_map(snapshot):
    delaware = county_geometry(snapshot.counties, Scope("DE"))
    assert delaware.topology["transform"]["scale"][0] < 0.1  # km grid
    assert delaware.insets == ()
