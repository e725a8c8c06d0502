"""Figures about a loaded snapshot, for ``enforcemap info`` and ``/healthz``.

The figures are recomputed from the layers themselves, not copied from the manifest, so a
hand-edited or stale manifest cannot hide what the data says.
"""

import copy

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
            "unresolved": [
                {
                    "agreement_id": row.agreement_id,
                    "state_abbr": row.state_abbr,
                    "agency": row.agency,
                    "model": row.model,
                    "status": row.status,
                    "review_reason": row.review_reason,
                }
                for row in unresolved.sort_values(["status", "state_abbr", "agency"]).itertuples()
            ],
        }
    )
    return info
