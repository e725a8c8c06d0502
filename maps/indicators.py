"""The indicators a map can show, by the short names used in map URLs.

Each names its atlas column (``geo.atlas.INDICATORS``), how it is coloured — classes with
fixed bounds for counts and rates, so a colour means the same value on every date a reader
steps through, or categories for policy status — and the rows a county's popup shows, each
with the column that says its year and the one that says why it is missing.
"""

from dataclasses import dataclass
from typing import Literal

from geo.sources.policies import STATUSES

Period = Literal["list", "date", "fiscal_year", "year"]
"""How an as-of column reads: a 287(g) list date, a date, a federal fiscal year, a year."""

Format = Literal["int", "number", "percent", "text", "category"]

ZERO_AND_YL_OR_RD_5 = ("#f4f3ee", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
PURPLES_5 = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
BLUES_5 = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
"""ColorBrewer sequential schemes: ordered by lightness, readable with colour-vision deficiency.
For counts where zero is most counties, zero is a neutral off-white and the scheme starts above
it, so any agreement or detainee shows as colour."""

POLICY_COLOURS = {
    "limits_cooperation": "#0072B2",
    "mandates_cooperation": "#D55E00",
    "conflicting": "#CC79A7",
    "city_limits_cooperation": "#56B4E9",
    "city_mandates_cooperation": "#E69F00",
    "city_conflicting": "#F0E442",
}
"""Okabe-Ito colours: blues limit cooperation, oranges mandate it, the lighter one of each pair
when only a city in the county decided. ``undocumented`` takes the unknown hatch, never a
colour that could read as "no policy"."""


@dataclass(frozen=True)
class Field:
    """One line of a county's popup."""

    column: str
    format: Format
    period: str | None = None
    """Atlas column with the value's year or as-of date."""
    period_kind: Period | None = None
    note: str | None = None
    """Atlas column with the reason the value is missing."""
    source: str | None = None
    """The value's own source (a ``source.*`` message), when not the indicator's."""


@dataclass(frozen=True)
class MapIndicator:
    """A mapped atlas column, its colouring, its source and its popup."""

    name: str
    column: str
    classes: tuple[tuple[float | None, float | None], ...]
    """Sequential classes ``(low, high)``: ``low <= v < high`` (open ends as None); a class with
    ``low == high`` holds exactly that value and is tested first."""
    colours: tuple[str, ...]
    categories: tuple[str, ...]
    """Categorical indicators: the coloured values, in ``CATEGORY_VALUES`` order, so a county's
    code is its colour's position; a value past them (``undocumented``) is drawn as unknown."""
    fields: tuple[Field, ...]
    """Popup lines; the first is the mapped value."""

    @property
    def categorical(self) -> bool:
        """Whether the map colours categories rather than classes of a number."""
        return bool(self.categories)


def _population() -> Field:
    return Field(
        "population", "int", "population_year", "year", "population_note", source="population"
    )


MAP_INDICATORS: dict[str, MapIndicator] = {
    "agreements": MapIndicator(
        name="agreements",
        column="agreements_active",
        classes=((0, 0), (1, 1), (2, 2), (3, 5), (5, 10), (10, None)),
        colours=ZERO_AND_YL_OR_RD_5,
        categories=(),
        fields=(
            Field("agreements_active", "int", "agreements_as_of", "list", "agreements_note"),
            Field("agreement_models", "text"),
            Field("statewide_agreements", "int", "agreements_as_of", "list"),
            _population(),
        ),
    ),
    "policy": MapIndicator(
        name="policy",
        column="policy_status",
        classes=(),
        colours=tuple(POLICY_COLOURS.values()),
        categories=tuple(POLICY_COLOURS),
        fields=(
            Field("policy_status", "category"),
            Field("policy_level", "category"),
            _population(),
        ),
    ),
    "detention": MapIndicator(
        name="detention",
        column="detention_adp_per_100k",
        classes=((0, 0), (None, 10), (10, 50), (50, 200), (200, 1000), (1000, None)),
        colours=ZERO_AND_YL_OR_RD_5,
        categories=(),
        fields=(
            Field(
                "detention_adp_per_100k",
                "number",
                "detention_fiscal_year",
                "fiscal_year",
                "detention_note",
            ),
            Field("detention_adp", "number", "detention_fiscal_year", "fiscal_year"),
            Field("detention_facilities", "int", "detention_fiscal_year", "fiscal_year"),
            _population(),
        ),
    ),
    "ucr_violent": MapIndicator(
        name="ucr_violent",
        column="ucr_violent_rate",
        classes=((None, 100), (100, 200), (200, 400), (400, 700), (700, None)),
        colours=PURPLES_5,
        categories=(),
        fields=(
            Field("ucr_violent_rate", "number", "ucr_year", "year", "ucr_note"),
            Field("ucr_coverage", "percent", "ucr_year", "year"),
            _population(),
        ),
    ),
    "nibrs_violent": MapIndicator(
        name="nibrs_violent",
        column="nibrs_violent_rate",
        classes=((None, 250), (250, 500), (500, 1000), (1000, 1500), (1500, None)),
        colours=PURPLES_5,
        categories=(),
        fields=(
            Field("nibrs_violent_rate", "number", "nibrs_year", "year", "nibrs_note"),
            _population(),
        ),
    ),
    "coverage": MapIndicator(
        name="coverage",
        column="reporting_coverage",
        classes=((None, 0.5), (0.5, 0.8), (0.8, 0.95), (0.95, 1), (1, 1)),
        colours=BLUES_5,
        categories=(),
        fields=(
            Field(
                "reporting_coverage",
                "percent",
                "reporting_coverage_year",
                "year",
                "reporting_coverage_note",
            ),
            _population(),
        ),
    ),
}
"""Every map indicator by its URL name. UCR and NIBRS are separate maps with separate scales:
the two series count violent crime differently (``geo.atlas.SERIES_CHANGE_WARNING``)."""

CATEGORY_VALUES = {
    "policy_status": STATUSES,
    "policy_level": ("state", "county", "city"),
}
"""Every value a category field can take, so each has a translated label."""
