"""What a map shows on one date, as compact JSON: county values, 287(g) agencies, facilities.

The geometry never changes with the date, so the page keeps it and the date control swaps
only this frame. Columns are arrays in the geometry's county order; repeated strings (models,
agency types, notes) are sent once in a table and referenced by position.
"""

from collections.abc import Sequence
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.atlas import fiscal_year
from geo.sources.agreements import MODELS
from geo.store import Snapshot
from maps.indicators import CATEGORY_VALUES, Field, MapIndicator
from maps.projection import Scope

COORDINATE_DECIMALS = 1
"""Display kilometres to 100 m: finer than any marker."""


def map_frame(
    snapshot: Snapshot,
    indicator: MapIndicator,
    scope: Scope,
    fips: Sequence[str],
    on: date,
    atlas: pd.DataFrame,
    agencies: gpd.GeoDataFrame,
) -> dict:
    """The frame of ``indicator`` on ``on`` for the counties ``fips`` of ``scope``.

    Its first field holds the mapped values (category codes for a categorical indicator).

    ``atlas`` is the county layer as of ``on`` and ``agencies`` the agreements active then
    (``geo.layers.counties_layer`` / ``agencies_layer``), passed in so a service can cache them.
    """
    counties = atlas.set_index("county_fips").loc[list(fips)]
    notes = _Table()
    return {
        "date": on.isoformat(),
        "fields": [_field(counties, field, notes) for field in indicator.fields],
        "notes": notes.values,
        "agencies": agency_points(agencies, scope),
        "facilities": facility_points(snapshot, scope, on),
    }


class _Table:
    """Distinct strings in first-seen order; each value becomes its position."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def codes(self, column: pd.Series) -> list[int | None]:
        out: list[int | None] = []
        for value in column.astype(object):
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                out.append(None)
                continue
            text = str(value)
            if text not in self._index:
                self._index[text] = len(self.values)
                self.values.append(text)
            out.append(self._index[text])
        return out


def _field(counties: pd.DataFrame, field: Field, notes: _Table) -> dict:
    column = counties[field.column]
    out: dict = {"column": field.column, "format": field.format}
    if field.format == "category":
        out["values"] = _codes(column, CATEGORY_VALUES[field.column])
    elif field.format == "text":
        table = _Table()
        out["values"] = table.codes(column.str.replace(";", "; ", regex=False))
        out["table"] = table.values
    else:
        out["values"] = _numbers(column, field.format)
    if field.period is not None:
        out["periodKind"] = field.period_kind
        out["period"] = _period(counties[field.period])
    if field.note is not None:
        out["notes"] = notes.codes(counties[field.note])
    if field.source is not None:
        out["source"] = field.source
    return out


def _numbers(column: pd.Series, fmt: str) -> list[float | int | None]:
    """Numbers rounded for display (3 decimals for shares, 2 otherwise); null stays null."""
    values = pd.to_numeric(column, errors="coerce").astype("Float64")
    if fmt == "int":
        values = values.round(0)
    values = values.round(3 if fmt == "percent" else 2)
    return [None if pd.isna(v) else (int(v) if float(v).is_integer() else float(v)) for v in values]


def _codes(column: pd.Series, categories: Sequence[str]) -> list[int | None]:
    """Position of each value in ``categories``; null for a value outside them (unknown)."""
    position = {value: i for i, value in enumerate(categories)}
    return [position.get(value) for value in column.astype(object)]


def _period(column: pd.Series) -> str | int | list | None:
    """The as-of of each county: one value when all share it, else one per county."""
    values = [None if pd.isna(v) else _plain(v) for v in column.astype(object)]
    distinct = set(values)
    return values[0] if len(distinct) == 1 else values


def _plain(value: object) -> str | int:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.integer | int):
        return int(value)
    return str(value)


def agency_points(agencies: gpd.GeoDataFrame, scope: Scope) -> dict:
    """287(g) agreements placed in a county of ``scope``, one point per county they cover.

    Statewide and unresolved agreements have no point (their place is a state, or unknown); the
    county popups count the statewide ones.
    """
    placed = agencies[agencies.geometry.notna()]
    if scope.state is not None:
        placed = placed[placed["state_abbr"] == scope.state]
    points, row = shapely.get_parts(placed.geometry.to_numpy(), return_index=True)
    rows = placed.iloc[row]
    xy = _xy(scope.project(points, rows["state_abbr"].to_numpy()))
    types = _Table()
    names = _Table()
    return {
        "x": xy[:, 0].tolist(),
        "y": xy[:, 1].tolist(),
        "name": names.codes(rows["agency"]),
        "names": names.values,
        "model": _codes(rows["model"], MODELS),
        "models": list(MODELS),
        "type": types.codes(rows["agency_type"]),
        "types": types.values,
        "signed": [_plain(v) if not pd.isna(v) else None for v in rows["signed"].astype(object)],
    }


def facility_points(snapshot: Snapshot, scope: Scope, on: date) -> dict:
    """ICE detention facilities of ``scope`` with their ADP in the newest fiscal year up to ``on``.

    A facility missing from that year's statistics is not drawn (it held no ICE detainees
    ICE reported); one listed with a blank ADP is drawn with ``adp`` null.
    """
    years = snapshot.facility_years
    usable = years.loc[years["fiscal_year"] <= fiscal_year(on), "fiscal_year"]
    if usable.empty:
        return {"fiscalYear": None, "x": [], "y": [], "name": [], "city": [], "type": [], "adp": []}
    chosen = int(usable.max())
    listed = years[years["fiscal_year"] == chosen][["facility_id", "adp", "facility_type"]]
    facilities = snapshot.facilities.merge(listed, on="facility_id")
    facilities = facilities[facilities.geometry.notna() & facilities["county_fips"].notna()]
    state_of = snapshot.counties.set_index("county_fips")["state_abbr"]
    states = facilities["county_fips"].map(state_of)
    if scope.state is not None:
        facilities, states = facilities[states == scope.state], states[states == scope.state]
    facilities = facilities.sort_values("facility_id")
    states = states.loc[facilities.index]
    xy = _xy(scope.project(facilities.geometry.to_numpy(), states.to_numpy()))
    return {
        "fiscalYear": chosen,
        "x": xy[:, 0].tolist(),
        "y": xy[:, 1].tolist(),
        "name": facilities["name"].tolist(),
        "city": [None if pd.isna(c) else str(c) for c in facilities["city"].astype(object)],
        "type": [
            None if pd.isna(t) else str(t) for t in facilities["facility_type"].astype(object)
        ],
        "adp": _numbers(facilities["adp"], "number"),
    }


def _xy(points: np.ndarray) -> np.ndarray:
    if len(points) == 0:
        return np.empty((0, 2))
    return np.round(shapely.get_coordinates(points), COORDINATE_DECIMALS)
