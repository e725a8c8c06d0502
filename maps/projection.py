"""Display projections: equal-area kilometres, with Alaska, Hawaii and Puerto Rico as insets.

Leaflet's default Web Mercator inflates Alaska about fourfold and puts the western Aleutians,
east of the antimeridian, on the far side of the world. The maps instead draw projected
kilometres in Leaflet's flat ``CRS.Simple``: the contiguous states in Conus Albers (EPSG:5070),
Alaska, Hawaii and Puerto Rico each in their own equal-area conic, moved (and Alaska shrunk)
into insets below the contiguous states on the national map, as Census and ``d3.geoAlbersUsa``
do. A one-state map draws its state in its own projection, without insets.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

CONUS_CRS = "EPSG:5070"


@dataclass(frozen=True)
class Inset:
    """Where an outlying state goes on the national map: its projected box, scaled, at ``to``."""

    crs: str
    origin: tuple[float, float]
    """Lower-left corner of the state's projected bounds (metres)."""
    scale: float
    to: tuple[float, float]
    """Lower-left corner of the inset in Conus Albers metres, clear of the contiguous states."""


INSETS = {
    "AK": Inset("EPSG:3338", (-2_168_054.0, 415_756.0), 0.35, (-2_400_000.0, 150_000.0)),
    "HI": Inset(
        "+proj=aea +lat_0=13 +lon_0=-157 +lat_1=8 +lat_2=18 +datum=NAD83 +units=m",
        (-338_792.0, 656_519.0),
        1.0,
        (-1_010_000.0, 150_000.0),
    ),
    "PR": Inset(
        "+proj=aea +lat_0=18 +lon_0=-66.5 +lat_1=17.5 +lat_2=18.5 +datum=NAD83 +units=m",
        (-152_511.0, -13_468.0),
        1.0,
        (-330_000.0, 150_000.0),
    ),
}
"""The outlying states; every other served state is drawn in Conus Albers."""


@dataclass(frozen=True)
class Scope:
    """What a map covers: the nation (``state=None``) or one state, and how it is projected."""

    state: str | None = None

    def project(self, geometries: np.ndarray, states: np.ndarray) -> np.ndarray:
        """Geometries (EPSG:4326) of the given states in display kilometres.

        Parameters
        ----------
        geometries : array of shapely geometries in longitude / latitude
        states : array of the two-letter state of each geometry

        Examples
        --------
        >>> x, y = shapely.get_coordinates(
        ...     Scope().project(np.array([shapely.Point(-96, 23)]), np.array(["TX"]))
        ... )[0]
        >>> round(float(x)), round(float(y))
        (0, 0)
        """
        out = np.empty(len(geometries), dtype=object)
        group = np.where(np.isin(states, list(INSETS)), states, "")
        for key in np.unique(group):
            # One pass per projection (four at most), each vectorised over its geometries.
            chosen = group == key
            out[chosen] = shapely.transform(geometries[chosen], self._transform(str(key)))
        return out

    def _transform(self, state: str) -> Callable[[np.ndarray], np.ndarray]:
        """Lon/lat array -> display kilometres for the group ``state`` ("" for Conus Albers)."""
        inset = INSETS.get(state)
        to_crs = _transformer(inset.crs if inset else CONUS_CRS)

        def transform(lonlat: np.ndarray) -> np.ndarray:
            xy = np.column_stack(to_crs.transform(lonlat[:, 0], lonlat[:, 1]))
            if inset is not None and self.state is None:
                xy = (xy - inset.origin) * inset.scale + inset.to
            return xy / 1000.0

        return transform


@cache
def _transformer(crs: str) -> Transformer:
    """Building a transformer costs ~10 ms; there are four."""
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)
