"""TopoJSON encoding of a polygon coverage: each border drawn once, shared by its two sides.

A coverage's neighbours carry identical copies of every shared edge. Storing each edge once
as an *arc* (and each polygon as a list of arc references) halves the coordinates, keeps the
neighbours' borders identical after quantisation, and lets the browser draw state outlines
as the arcs whose two sides lie in different states (``topojson.mesh``) at no extra cost.
The cut rule is topojson-server's: a vertex is a junction where the rings through it do not
all continue to the same two neighbours.

Quantisation is snap rounding, not plain rounding: rounding each vertex alone can carry it across
a border less than a grid step away (a narrow channel, a sharp spike), and the ring then crosses
itself or its neighbour.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import shapely


@dataclass(frozen=True)
class Grid:
    """The quantisation grid: integer ``(x - x0) / step`` coordinates, as TopoJSON's transform."""

    x0: float
    y0: float
    step: float

    def transform(self) -> dict:
        """The TopoJSON ``transform`` member for this grid."""
        return {"scale": [self.step, self.step], "translate": [self.x0, self.y0]}


def encode_topology(geometries: np.ndarray, ids: Sequence[str], grid: Grid, name: str) -> dict:
    """Quantise ``geometries`` (Polygon / MultiPolygon) onto ``grid`` and encode them as TopoJSON.

    Positions are snap-rounded (:func:`snap_round`), so the decoded polygons are valid and
    neighbours never overlap. A part that collapses is dropped; a geometry that loses every
    part keeps no arcs, so callers pick a grid finer than their smallest polygon.
    """
    parts, part_owner = shapely.get_parts(snap_round(geometries, grid), return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    cells = np.rint(coords).astype(np.int64)
    cells, ring_of = _open_rings(cells, ring_of)
    vertex, cells_unique = _vertex_ids(cells)
    junction = _junctions(vertex, ring_of, len(cells_unique))
    arcs = _ArcTable()
    ring_arcs = _cut_rings(vertex, ring_of, junction, len(rings), arcs)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    objects = _assemble(ring_arcs, exterior, ring_part, part_owner, ids)
    return {
        "type": "Topology",
        "transform": grid.transform(),
        "objects": {name: {"type": "GeometryCollection", "geometries": objects}},
        "arcs": [_delta(cells_unique[a]) for a in arcs.arcs],
    }


def snap_round(geometries: np.ndarray, grid: Grid) -> np.ndarray:
    """A polygon coverage moved onto ``grid`` (in grid units) with no border crossing another.

    Snap rounding (Hobby 1999; GEOS's overlay with a grid size does it for one geometry): each
    vertex goes to its grid point, and each segment is also bent through the centre of every
    *hot pixel* (the grid cell around a vertex) it passes through. Rounded segments then never
    cross; at worst they collapse onto each other. Doing it over the whole coverage at once bends
    both copies of a shared border alike, so neighbours stay flush. The few geometries a collapse
    leaves invalid (a spike, a pinched neck) are repaired by ``make_valid``, which adds no vertex
    since nothing crosses.
    """
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    xy = (coords - (grid.x0, grid.y0)) / grid.step
    cells = np.rint(xy)
    start = np.flatnonzero(ring_of[1:] == ring_of[:-1])  # segment i runs start[i] -> start[i] + 1
    segment, pixel, order = _hot_pixels_crossed(xy[start], xy[start + 1], _unique_points(cells))
    # Rings' points, each followed by the hot pixels its outgoing segment was bent through.
    points = np.concatenate([cells, pixel])
    ring_of = np.concatenate([ring_of, ring_of[start[segment]]])
    at = np.concatenate([np.arange(len(cells)), start[segment]])
    first = np.full((len(order), len(cells)), -np.inf)
    sort = np.lexsort((*np.concatenate([first, order], axis=1), at))
    points, ring_of = points[sort], ring_of[sort]
    fresh = np.r_[True, (points[1:] != points[:-1]).any(axis=1) | (ring_of[1:] != ring_of[:-1])]
    points, ring_of = points[fresh], ring_of[fresh]
    # A ring needs three distinct points (four with the closing one); an exterior that has
    # collapsed takes its holes with it.
    alive = np.bincount(ring_of, minlength=len(rings)) >= 4
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    part_alive = np.zeros(len(parts), dtype=bool)
    part_alive[ring_part[exterior]] = alive[exterior]
    alive &= part_alive[ring_part]
    kept = alive[ring_of]
    rings = shapely.linearrings(
        points[kept], indices=np.unique(ring_of[kept], return_inverse=True)[1]
    )
    polygons = shapely.polygons(rings, indices=np.unique(ring_part[alive], return_inverse=True)[1])
    out = np.full(len(geometries), shapely.MultiPolygon(), dtype=object)
    shapely.multipolygons(polygons, indices=part_owner[part_alive], out=out)
    invalid = ~shapely.is_valid(out)
    out[invalid] = shapely.make_valid(out[invalid], method="structure", keep_collapsed=False)
    return out


def _unique_points(cells: np.ndarray) -> np.ndarray:
    """Distinct grid points; a 1-D key sorts several times faster than ``np.unique(axis=0)``."""
    low = cells.min(axis=0)
    ij = (cells - low).astype(np.int64)
    width = int(ij[:, 1].max()) + 1
    key = np.unique(ij[:, 0] * width + ij[:, 1])
    return np.column_stack([key // width, key % width]) + low


def _hot_pixels_crossed(
    a: np.ndarray, b: np.ndarray, hot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hot pixels each segment ``a -> b`` passes through, other than its own ends' pixels.

    Returns the segment index, the pixel's grid point and sort keys (last key primary, as
    ``np.lexsort``) ordering the pixels along the segment from ``a``. Both copies of a shared
    border must get the same pixels in mirrored order, so each segment is tested in one
    canonical direction and its keys negated if reversed.
    """
    flip = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    p = np.where(flip[:, None], b, a)
    q = np.where(flip[:, None], a, b)
    low, high = np.minimum(p, q) - 0.5, np.maximum(p, q) + 0.5
    tree = shapely.STRtree(shapely.points(hot))
    segment, pixel = tree.query(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
    centre = hot[pixel]
    own = (centre == np.rint(p[segment])).all(axis=1) | (centre == np.rint(q[segment])).all(axis=1)
    segment, centre = segment[~own], centre[~own]
    # Liang-Barsky: the parameter interval of p + t (q - p) inside the closed pixel square.
    d = (q - p)[segment]
    offset = centre - p[segment]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (offset - 0.5) / d, (offset + 0.5) / d
    inside = np.abs(offset) <= 0.5
    enter = np.where(d == 0, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    leave = np.where(d == 0, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    enter = np.maximum(enter.max(axis=1), 0.0)
    crossed = enter <= np.minimum(leave.min(axis=1), 1.0)
    segment, centre, enter = segment[crossed], centre[crossed], enter[crossed]
    d, offset = d[crossed], offset[crossed]
    # Pixels entered at one corner: next by how far along, then by which side of the segment.
    keys = np.stack(
        [
            offset[:, 0] * d[:, 1] - offset[:, 1] * d[:, 0],
            (offset * d).sum(axis=1),
            enter,
        ]
    )
    return segment, centre, np.where(flip[segment], -keys, keys)


def _cyclic(ring_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of each point's previous and next point, walking its ring cyclically."""
    index = np.arange(len(ring_of))
    first = np.r_[True, ring_of[1:] != ring_of[:-1]]
    last = np.r_[ring_of[1:] != ring_of[:-1], True]
    start = np.maximum.accumulate(np.where(first, index, 0))
    end = np.minimum.accumulate(np.where(last, index, len(ring_of))[::-1])[::-1]
    return np.where(first, end, index - 1), np.where(last, start, index + 1)


def _open_rings(cells: np.ndarray, ring_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop each ring's closing point and the repeats quantisation leaves (cyclically)."""
    closing = np.r_[ring_of[1:] != ring_of[:-1], True]
    cells, ring_of = cells[~closing], ring_of[~closing]
    previous, _ = _cyclic(ring_of)
    keep = (cells != cells[previous]).any(axis=1)
    return cells[keep], ring_of[keep]


def _vertex_ids(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number every distinct grid point; returns each occurrence's id and the points by id."""
    unique, vertex = np.unique(cells, axis=0, return_inverse=True)
    return vertex.ravel(), unique


def _junctions(vertex: np.ndarray, ring_of: np.ndarray, n_vertices: int) -> np.ndarray:
    """Boolean per vertex id: rings through it continue to more than one pair of neighbours."""
    previous, following = _cyclic(ring_of)
    previous, following = vertex[previous], vertex[following]
    pairs = np.column_stack(
        [vertex, np.minimum(previous, following), np.maximum(previous, following)]
    )
    distinct = np.unique(pairs, axis=0)
    return np.bincount(distinct[:, 0], minlength=n_vertices) > 1


class _ArcTable:
    """Arcs by their vertex sequence; a reversed duplicate is referenced as ``~index``."""

    def __init__(self) -> None:
        self.arcs: list[np.ndarray] = []
        self._index: dict[bytes, int] = {}

    def reference(self, arc: np.ndarray) -> int:
        key = arc.tobytes()
        if key in self._index:
            return self._index[key]
        reverse = arc[::-1].tobytes()
        if reverse in self._index:
            return ~self._index[reverse]
        self._index[key] = len(self.arcs)
        self.arcs.append(arc)
        return len(self.arcs) - 1


def _cut_rings(
    vertex: np.ndarray,
    ring_of: np.ndarray,
    junction: np.ndarray,
    n_rings: int,
    arcs: _ArcTable,
) -> list[list[int]]:
    """Each ring as arc references (empty when the ring collapsed)."""
    bounds = np.searchsorted(ring_of, np.arange(n_rings + 1))
    out: list[list[int]] = []
    # One pass per ring: cutting needs the ring's own junction positions, and a few thousand
    # rings cost milliseconds; the per-vertex work above is vectorised.
    for r in range(n_rings):
        ring = vertex[bounds[r] : bounds[r + 1]]
        if len(ring) < 3:
            out.append([])
            continue
        cuts = np.flatnonzero(junction[ring])
        if len(cuts) == 0:
            # No junction: start at the smallest vertex so both sides of a shared closed ring
            # (an enclave and its host's hole) produce the same arc.
            ring = np.roll(ring, -int(np.argmin(ring)))
            out.append([arcs.reference(np.r_[ring, ring[:1]])])
            continue
        ring = np.roll(ring, -int(cuts[0]))
        cuts = np.r_[cuts - cuts[0], len(ring)]
        closed = np.r_[ring, ring[:1]]
        out.append([arcs.reference(closed[a : b + 1]) for a, b in pairwise(cuts)])
    return out


def _assemble(
    ring_arcs: list[list[int]],
    exterior: np.ndarray,
    ring_part: np.ndarray,
    part_owner: np.ndarray,
    ids: Sequence[str],
) -> list[dict]:
    """TopoJSON Polygon / MultiPolygon objects, one per id, in input order."""
    polygons: dict[int, list[list[int]]] = {}
    for references, is_exterior, part in zip(ring_arcs, exterior, ring_part):
        if is_exterior and references:
            polygons[part] = [references]
        elif references and part in polygons:
            polygons[part].append(references)
    owned: list[list[list[list[int]]]] = [[] for _ in ids]
    for part, polygon in polygons.items():
        owned[part_owner[part]].append(polygon)
    return [
        {"type": "Polygon", "id": fips, "arcs": rings[0]}
        if len(rings) == 1
        else {"type": "MultiPolygon", "id": fips, "arcs": rings}
        for fips, rings in zip(ids, owned)
    ]


def _delta(points: np.ndarray) -> list[list[int]]:
    """TopoJSON's delta encoding of one arc's quantised positions."""
    return np.vstack([points[:1], np.diff(points, axis=0)]).tolist()


def decode_topology(topology: dict, name: str) -> np.ndarray:
    """Object ``name``'s geometries as shapely polygons: the inverse of :func:`encode_topology`.

    The browser decodes with topojson-client; this is for checking the encoding (benchmarks and
    tests measure gaps and overlaps on what the page will draw).
    """
    step = topology["transform"]["scale"][0]
    origin = np.asarray(topology["transform"]["translate"])
    arcs = [np.cumsum(np.asarray(arc), axis=0) * step + origin for arc in topology["arcs"]]

    def ring(references: list[int]) -> np.ndarray:
        pieces = [arcs[r] if r >= 0 else arcs[~r][::-1] for r in references]
        return np.vstack([pieces[0], *(piece[1:] for piece in pieces[1:])])

    def polygon(rings: list[list[int]]) -> shapely.Polygon:
        return shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])

    out = []
    for geometry in topology["objects"][name]["geometries"]:
        if geometry["type"] == "Polygon":
            out.append(polygon(geometry["arcs"]))
        else:
            out.append(shapely.MultiPolygon([polygon(p) for p in geometry["arcs"]]))
    return np.array(out, dtype=object)
