"""``enforcemap map``: a standalone file that opens offline, and one-line errors."""

import re

from api.cli import main
from tests.maps.conftest import DATA

LIMIT_BYTES = 1_500_000


def _markup(html: str) -> str:
    """The page less its inline scripts' bodies and style comments, where Leaflet's own code
    and CSS mention web addresses as text (its licence header, browser bug links)."""
    html = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", html, flags=re.DOTALL)
    return re.sub(r"/\*.*?\*/", "", html, flags=re.DOTALL)


def test_national_map_file_is_small_and_loads_nothing_from_anywhere(tmp_path, capsys):
    out = tmp_path / "us.html"
    assert main(["map", "agreements", "-o", str(out), "--data-dir", str(DATA)]) == 0
    html = out.read_text(encoding="utf-8")
    assert out.stat().st_size <= LIMIT_BYTES
    assert "Active 287(g) agreements — United States" in capsys.readouterr().out
    markup = _markup(html)
    assert not re.search(r"\b(?:src|href)\s*=", markup.replace('href="data:,"', ""))
    assert "http://" not in markup and "https://" not in markup
    assert all(url.startswith("data:") for url in re.findall(r"url\(([^)#]+)\)", html))
    assert '"frameUrl":null' in html  # no server to step dates with: one date, said in the page


def test_state_map_in_spanish_on_a_date(tmp_path):
    out = tmp_path / "tx.html"
    argv = [
        "map",
        "policy",
        "--state",
        "tx",
        "--date",
        "2019-01-01",
        "--lang",
        "es",
        "-o",
        str(out),
    ]
    assert main([*argv, "--data-dir", str(DATA)]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "Datos al 2019-01-01" in html


def test_unknown_indicator_or_state_is_one_line_and_exit_1(tmp_path, capsys):
    out = str(tmp_path / "x.html")
    assert main(["map", "crime", "-o", out, "--data-dir", str(DATA)]) == 1
    assert capsys.readouterr().err == (
        "enforcemap map: 'crime' is not one of agreements, policy, detention, ucr_violent, "
        "nibrs_violent, coverage\n"
    )
    assert main(["map", "policy", "--state", "ZZ", "-o", out, "--data-dir", str(DATA)]) == 1
    assert capsys.readouterr().err == "enforcemap map: --state 'ZZ' is not a served state\n"
