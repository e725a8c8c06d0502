"""Figures about a loaded snapshot, for ``enforcemap info`` and ``/healthz``.

The figures are recomputed from the layers themselves, not copied from the manifest, so a
hand-edited or stale manifest cannot hide what the data says.
"""

import copy

import pandas as pd

from geo import qa
from geo.atlas import county_atlas
from geo.layers import newest_date
from geo.sources.detention import adp_placed_share
from geo.store import Snapshot


def snapshot_info(snapshot: Snapshot) -> dict:
    """The manifest with live row counts, active agreements, resolved share and unresolved cases."""
    info = copy.deepcopy(snapshot.manifest)
    layers = info.setdefault("layers", {})
    for name in ("counties", "states", "population", "policies"):
        layers.setdefault(name, {})["rows"] = len(getattr(snapshot, name))
    newest = newest_date(snapshot)
    layers["atlas"] = {"as_of": newest.isoformat(), "rows": len(county_atlas(snapshot, newest))}
    rates = snapshot.crime_rates
    has_rate = rates.filter(regex="_(violent|property)_rate$").notna().any(axis=1)
    layers.setdefault("crime", {})["county_years"] = int(has_rate.sum())
    fiscal_year = int(snapshot.facility_years["fiscal_year"].max())
    layers.setdefault("facilities", {}).update(
        {
            "rows": len(snapshot.facilities),
            "adp_placed_share": round(
                adp_placed_share(snapshot.facility_years, snapshot.facilities, fiscal_year), 4
            ),
        }
    )
    agreements = snapshot.agreements
    unresolved = agreements[agreements["match_type"] == "unresolved"]
    layers.setdefault("agreements", {}).update(
        {
            "rows": len(agreements),
            "active_on_newest_sheet": int((agreements["status"] == "active").sum()),
            "resolved_share": qa.resolved_share(agreements),
            "unresolved": _records(
                unresolved.sort_values(["status", "state_abbr", "agency"]),
                ["agreement_id", "state_abbr", "agency", "model", "status", "review_reason"],
            ),
        }
    )
    return info


def _records(table: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain dicts with ``None`` for missing (pandas reads nulls back as NaN)."""
    values = table[columns].astype(object)
    return values.where(values.notna(), None).to_dict("records")
