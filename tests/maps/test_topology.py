"""TopoJSON encoding: shared borders stored once, enclaves, collapsed rings, exact round trip."""

import numpy as np
import shapely

from maps.topology import Grid, decode_topology, encode_topology

GRID = Grid(x0=0.0, y0=0.0, step=1.0)


def _encode(*geometries: shapely.Geometry) -> dict:
    ids = [f"{i:05d}" for i in range(len(geometries))]
    return encode_topology(np.array(geometries, dtype=object), ids, GRID, "counties")


def _arcs(polygon: dict) -> list[int]:
    return [arc for ring in polygon["arcs"] for arc in ring]


def test_shared_border_is_one_arc_used_both_ways():
    west, east = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)
    topology = _encode(west, east)
    first, second = (_arcs(g) for g in topology["objects"]["counties"]["geometries"])
    shared = [arc for arc in first if ~arc in second]
    assert len(shared) == 1
    decoded = decode_topology(topology, "counties")
    assert all(shapely.equals(a, b) for a, b in zip(decoded, [west, east], strict=True))


def test_enclave_ring_is_its_hosts_hole():
    host = shapely.Polygon(
        [(0, 0), (30, 0), (30, 30), (0, 30)], [[(10, 10), (20, 10), (20, 20), (10, 20)]]
    )
    enclave = shapely.box(10, 10, 20, 20)
    topology = _encode(host, enclave)
    host_geometry, enclave_geometry = topology["objects"]["counties"]["geometries"]
    hole, exterior = host_geometry["arcs"][1], enclave_geometry["arcs"][0]
    assert len(hole) == len(exterior) == 1
    assert hole[0] in (exterior[0], ~exterior[0])
    assert shapely.equals(decode_topology(topology, "counties")[0], host)


def test_island_smaller_than_the_grid_is_dropped_and_the_rest_kept():
    mainland, speck = shapely.box(0, 0, 10, 10), shapely.box(20.1, 20.1, 20.3, 20.3)
    topology = _encode(shapely.MultiPolygon([mainland, speck]))
    (geometry,) = topology["objects"]["counties"]["geometries"]
    assert geometry["type"] == "Polygon"
    assert shapely.equals(decode_topology(topology, "counties")[0], mainland)


def test_positions_are_delta_encoded_on_the_grid():
    topology = encode_topology(
        np.array([shapely.box(100.4, 50, 102, 52)], dtype=object),
        ["00001"],
        Grid(x0=100.0, y0=50.0, step=0.5),
        "counties",
    )
    (arc,) = topology["arcs"]
    assert all(isinstance(v, int) for point in arc for v in point)
    assert topology["transform"] == {"scale": [0.5, 0.5], "translate": [100.0, 50.0]}
    assert shapely.equals(decode_topology(topology, "counties")[0], shapely.box(100.5, 50, 102, 52))


def test_vertex_rounded_across_a_neighbours_border_bends_that_border_instead():
    # A's spike stops 0.01 above B's sloping top; plain rounding puts its tip, (5, 0), inside B.
    spiked = shapely.Polygon([(0, 0), (10, 1), (10, 5), (4.6, 0.47), (0, 3)])
    below = shapely.Polygon([(0, 0), (0, -5), (10, -5), (10, 1)])
    tip = shapely.Point(5, 0)
    plain = shapely.set_precision(spiked, GRID.step, mode="pointwise")
    assert not shapely.is_valid(plain) and shapely.contains_properly(below, tip)

    spiked_now, below_now = decode_topology(_encode(spiked, below), "counties")
    assert shapely.is_valid(spiked_now) and shapely.is_valid(below_now)
    assert not shapely.relate_pattern(spiked_now, below_now, "T********")  # interiors apart
    assert tip.touches(spiked_now) and tip.touches(below_now)  # the border bent through the tip
