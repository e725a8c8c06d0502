"""English and Spanish: the same messages, every word a page uses, and how a language is picked."""

import re
from pathlib import Path

import pytest

from maps.i18n import TEXT, UnknownLanguage, pick_language
from maps.indicators import CATEGORY_VALUES, MAP_INDICATORS

MAPS = Path(__file__).resolve().parents[2] / "maps"
SCRIPT = (MAPS / "static" / "enforcemap" / "map.js").read_text(encoding="utf-8")
TEMPLATES = "".join(p.read_text(encoding="utf-8") for p in (MAPS / "templates").glob("*.html"))
PYTHON = "".join(p.read_text(encoding="utf-8") for p in MAPS.glob("*.py") if p.name != "i18n.py")
DYNAMIC = ("title.", "unit.", "source.", "warning.", "unknown.", "field.", "category.", "period.")
"""Prefixes the pages complete with an indicator, a field, a category or a period kind."""


def test_english_and_spanish_have_the_same_messages():
    assert set(TEXT["en"]) == set(TEXT["es"])
    assert all(TEXT["es"][key] != TEXT["en"][key] for key in ("site_tagline", "title.agreements"))


def test_every_indicator_field_and_category_has_its_words():
    for name, indicator in MAP_INDICATORS.items():
        for key in ("title", "unit", "source"):
            assert f"{key}.{name}" in TEXT["en"], (key, name)
        for field in indicator.fields:
            assert f"field.{field.column}" in TEXT["en"]
            if field.period_kind:
                assert f"period.{field.period_kind}" in TEXT["en"]
    for column, values in CATEGORY_VALUES.items():
        assert all(f"category.{column}.{value}" in TEXT["en"] for value in values)


def test_every_message_a_page_uses_exists_and_every_message_is_used():
    used = set(re.findall(r"\b(?:t|this\.t|self\.t|data\.text)\.(\w+)", SCRIPT))
    used |= set(re.findall(r"\bt\.(\w+)", TEMPLATES))
    used |= set(re.findall(r"""\btext\[["']([\w.]+)["']\]""", PYTHON))
    assert used - set(TEXT["en"]) == set()
    unused = [key for key in TEXT["en"] if key not in used and not key.startswith(DYNAMIC)]
    assert unused == []


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        ("es", "en-US,en", "es"),
        (" EN ", "es", "en"),
        (None, "es-MX,es;q=0.9,en;q=0.8", "es"),
        (None, "en;q=0.5, es;q=0.7", "es"),
        (None, "fr-FR,fr;q=0.9", "en"),
        (None, "es;q=0, en", "en"),
        (None, None, "en"),
    ],
)
def test_language_is_the_query_then_accept_language_then_english(lang, accept, expected):
    assert pick_language(lang, accept) == expected


def test_unknown_language_is_refused_naming_it():
    with pytest.raises(UnknownLanguage, match="lang: 'fr' is not one of en, es"):
        pick_language("fr", "fr")
