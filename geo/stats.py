"""Regional statistics that report themselves: n, the test, the p-value, and what was left out.

Every result is a frozen dataclass whose ``excluded`` lists each county left out and why (a
missing value, no neighbours), so a caller never has to guess what the figure rests on.
"""

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from libpysal.weights import W

PERMUTATIONS = 999
_GLOBAL_GENERATOR = threading.Lock()
"""Held from seeding numpy's global generator to the last draw from it, so that two threads
computing Moran's I at once still draw each its own seeded sequence."""
CONFIDENCE = 0.95
METHODS = ("pearson", "spearman")


@dataclass(frozen=True)
class Exclusion:
    """One county left out of a statistic, and why."""

    county_fips: str
    reason: str


@dataclass(frozen=True)
class CorrelationResult:
    """Correlation of two indicators over the counties where both are known."""

    method: str
    n: int
    r: float
    p_value: float
    ci_low: float
    ci_high: float
    confidence: float
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass(frozen=True)
class GroupComparison:
    """Difference in means between two groups of counties (Welch's t-test)."""

    test: str
    n_with: int
    n_without: int
    mean_with: float
    mean_without: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with a permutation test, and LISA cluster labels per county.

    ``p_value`` is the pseudo p-value of the permutation test, (extreme + 1) / (permutations + 1),
    against the null of spatial randomness. ``clusters`` maps county_fips to HH, LL, HL, LH when
    its local statistic is significant at ``1 - confidence``, else ``ns``.
    """

    statistic: float
    expected: float
    z_score: float
    p_value: float
    n: int
    permutations: int
    seed: int
    weights: str
    clusters: dict[str, str]
    excluded: list[Exclusion] = field(default_factory=list)


def _known(values: pd.DataFrame) -> tuple[pd.DataFrame, list[Exclusion]]:
    """Rows with every value known; the others as exclusions naming the missing columns."""
    missing = values.isna()
    excluded = [
        Exclusion(fips, "missing " + ", ".join(values.columns[row]))
        for fips, row in zip(values.index, missing.to_numpy(), strict=True)
        if row.any()
    ]
    return values[~missing.any(axis=1)], excluded


def correlation(x: pd.Series, y: pd.Series, method: str = "pearson") -> CorrelationResult:
    """Pearson or Spearman correlation of two indicators indexed by county_fips.

    The confidence interval is Fisher's z; for Spearman its standard error is Bonett and
    Wright's sqrt(1.06 / (n - 3)).

    Examples
    --------
    >>> x = pd.Series([1.0, 2.0, 3.0, 4.0, None], index=list("abcde"))
    >>> result = correlation(x, x * 2)
    >>> result.r, result.n, result.excluded[0].county_fips
    (1.0, 4, 'e')
    """
    from scipy import stats as scipy_stats  # on first use: scipy costs ~0.7 s of start-up

    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")
    values, excluded = _known(pd.DataFrame({x.name or "x": x, y.name or "y": y}))
    n = len(values)
    if n < 4:
        raise ValueError(f"only {n} counties have both values; a correlation needs at least 4")
    a, b = values.iloc[:, 0].to_numpy(float), values.iloc[:, 1].to_numpy(float)
    for name, column in zip(values.columns, (a, b), strict=True):
        if np.ptp(column) == 0:
            raise ValueError(f"{name} has the same value in all {n} counties: r is undefined")
    test = scipy_stats.pearsonr(a, b) if method == "pearson" else scipy_stats.spearmanr(a, b)
    r = float(np.clip(test.statistic, -1.0, 1.0))
    se = np.sqrt((1.06 if method == "spearman" else 1.0) / (n - 3))
    z, crit = (
        np.arctanh(np.clip(r, -0.999999, 0.999999)),
        scipy_stats.norm.ppf(0.5 + CONFIDENCE / 2),
    )
    return CorrelationResult(
        method=method,
        n=n,
        r=round(r, 12),
        p_value=float(test.pvalue),
        ci_low=float(np.tanh(z - crit * se)),
        ci_high=float(np.tanh(z + crit * se)),
        confidence=CONFIDENCE,
        excluded=excluded,
    )


def compare_groups(values: pd.Series, in_group: pd.Series) -> GroupComparison:
    """Mean of ``values`` where ``in_group`` is true against where it is false (Welch's t).

    The interval is Welch's for the difference of means (with minus without).
    """
    from scipy import stats as scipy_stats  # on first use: scipy costs ~0.7 s of start-up

    name = values.name or "value"
    frame, excluded = _known(pd.DataFrame({name: values, "group": in_group}))
    with_group = frame.loc[frame["group"].astype(bool), name].to_numpy(float)
    without = frame.loc[~frame["group"].astype(bool), name].to_numpy(float)
    if len(with_group) < 2 or len(without) < 2:
        raise ValueError(
            f"each group needs at least 2 counties (with: {len(with_group)}, without: {len(without)})"
        )
    if np.ptp(with_group) == 0 and np.ptp(without) == 0:
        raise ValueError(f"{name} does not vary within either group: the t-test is undefined")
    test = scipy_stats.ttest_ind(with_group, without, equal_var=False)
    interval = test.confidence_interval(CONFIDENCE)
    return GroupComparison(
        test="Welch's two-sample t-test (unequal variances)",
        n_with=len(with_group),
        n_without=len(without),
        mean_with=float(with_group.mean()),
        mean_without=float(without.mean()),
        difference=float(with_group.mean() - without.mean()),
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        p_value=float(test.pvalue),
        confidence=CONFIDENCE,
        excluded=excluded,
    )


def queen_weights(geometry: gpd.GeoSeries) -> "W":
    """Queen-contiguity weights over counties indexed by county_fips; build once, subset often."""
    from libpysal.weights import Queen

    return Queen.from_dataframe(
        gpd.GeoDataFrame(geometry=geometry), use_index=True, silence_warnings=True
    )


def morans_i(
    values: pd.Series, weights: "W", permutations: int = PERMUTATIONS, seed: int = 12345
) -> MoranResult:
    """Global Moran's I and local (LISA) clusters of ``values`` (indexed by county_fips).

    ``weights`` covers every county (see `queen_weights`); it is cut down to the counties with
    a value. Counties with a missing value, and those left with no neighbour (islands), are
    excluded and listed.
    """
    from esda.moran import Moran, Moran_Local
    from libpysal.weights import w_subset

    known, excluded = _known(pd.DataFrame({values.name or "value": values}))
    if len(known) < 3:
        raise ValueError(f"only {len(known)} counties have a value; Moran's I needs at least 3")
    subset = w_subset(weights, list(known.index), silence_warnings=True)
    islands = set(subset.islands)
    if islands:
        excluded += [Exclusion(fips, "no neighbour sharing a border") for fips in sorted(islands)]
        known = known.drop(index=sorted(islands))
        if len(known) < 3:
            raise ValueError(
                f"only {len(known)} counties with a value have a neighbour; Moran's I needs 3"
            )
        subset = w_subset(subset, list(known.index), silence_warnings=True)
    subset.transform = "r"
    y = known.iloc[:, 0].to_numpy(float)
    if np.ptp(y) == 0:
        raise ValueError(f"{known.columns[0]} has the same value in every county: I is undefined")
    with _GLOBAL_GENERATOR:  # esda's global Moran draws from numpy's global generator
        np.random.seed(seed)
        moran = Moran(y, subset, permutations=permutations)
    local = Moran_Local(y, subset, permutations=permutations, seed=seed)
    labels = np.array(["ns", "HH", "LH", "LL", "HL"], dtype=object)
    significant = local.p_sim < (1 - CONFIDENCE)
    quadrant = np.where(significant, local.q, 0)
    return MoranResult(
        statistic=float(moran.I),
        expected=float(moran.EI),
        z_score=float(moran.z_sim),
        p_value=float(moran.p_sim),
        n=len(y),
        permutations=permutations,
        seed=seed,
        weights="queen contiguity, row-standardised",
        clusters=dict(zip(known.index, labels[quadrant], strict=True)),
        excluded=excluded,
    )
