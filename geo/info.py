"""Figures about a loaded snapshot, for ``enforcemap info`` and ``/healthz``.

The figures are recomputed from the layers themselves, not copied from the manifest, so a
hand-edited or stale manifest cannot hide what the data says.
"""

import copy

import pandas as pd

from geo import qa
from geo.store import Snapshot


def snapshot_info(snapshot: Snapshot) -> dict:
    """The manifest with live row counts, active agreements, resolved share and unresolved cases."""
    info = copy.deepcopy(snapshot.manifest)
    layers = info.setdefault("layers", {})
    for name in ("counties", "states", "population", "sightings"):
        layers.setdefault(name, {})["rows"] = len(getattr(snapshot, name))
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
