"""Every word a map page shows, in English and Spanish, and how a request picks one.

Data values (county, agency and facility names, 287(g) model names, build notes) stay as
published; only the words around them are translated. ``?lang=`` wins, then the browser's
``Accept-Language``, then English.
"""

from typing import Literal

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")
DEFAULT_LANG: Lang = "en"
NUMBER_LOCALES = {"en": "en-US", "es": "es-US"}
"""BCP 47 locales for the browser's number and date formatting (Spanish as used in the US)."""


class UnknownLanguage(ValueError):
    """``lang`` names a language the pages are not written in."""


TEXT: dict[Lang, dict[str, str]] = {
    "en": {
        "site_tagline": "Immigration enforcement in the United States, county by county",
        "landing_intro": "Pick a map, step through the 287(g) lists since 2007 with the date "
        "control, and click a county for its values, their years and sources.",
        "nav_label": "Maps",
        "state_label": "State",
        "all_states": "All states",
        "other_language": "Español",
        "embed_link": "Embed this map",
        "open_full_map": "Open the full map",
        "title.agreements": "Active 287(g) agreements",
        "title.policy": "Sanctuary and anti-sanctuary policy",
        "title.detention": "ICE detention per 100,000 residents",
        "title.ucr_violent": "Violent crime rate (FBI UCR Summary)",
        "title.nibrs_violent": "Violent crime rate (FBI NIBRS)",
        "title.coverage": "Crime reporting coverage",
        "unit.agreements": "agreements covering the county (county agencies and multi-county "
        "bodies)",
        "unit.policy": "status of the policy in force, by the level that decides it",
        "unit.detention": "average daily population in ICE detention per 100,000 residents",
        "unit.ucr_violent": "violent crimes per 100,000 residents, UCR Summary series",
        "unit.nibrs_violent": "violent crimes per 100,000 residents, NIBRS series",
        "unit.coverage": "population-weighted share of agency-months reported to the FBI",
        "source.agreements": "ICE 287(g) participating agency lists",
        "source.policy": "State laws compiled with citations; DOJ sanctuary list (2025-08-05); "
        "ICE/CIS detainer-policy list (2014)",
        "source.detention": "ICE annual detention statistics; Census population estimates",
        "source.ucr_violent": "FBI UCR Summary county rates, compiled by the Urban Institute",
        "source.nibrs_violent": "FBI NIBRS county rates, compiled by the Urban Institute",
        "source.coverage": "FBI Crime Data Explorer agency participation",
        "source.population": "Census Bureau population estimates (PEP)",
        "warning.ucr_violent": "UCR Summary and NIBRS count violent crime differently: never "
        "compare this map with the NIBRS map.",
        "warning.nibrs_violent": "NIBRS and UCR Summary count violent crime differently: never "
        "compare this map with the UCR map.",
        "unknown.policy": "Nothing documented (not the same as no policy)",
        "unknown": "Unknown (the popup says why)",
        "unknown_value": "unknown",
        "field.agreements_active": "Active 287(g) agreements",
        "field.agreement_models": "Support models",
        "field.statewide_agreements": "State-wide 287(g) agreements in the state",
        "field.population": "Population",
        "field.policy_status": "Policy status",
        "field.policy_level": "Decided by",
        "field.detention_adp_per_100k": "ICE detention per 100,000 residents",
        "field.detention_adp": "Average daily population in ICE detention",
        "field.detention_facilities": "ICE detention facilities",
        "field.ucr_violent_rate": "Violent crimes per 100,000 (UCR Summary)",
        "field.ucr_coverage": "Coverage indicator (NACJD)",
        "field.nibrs_violent_rate": "Violent crimes per 100,000 (NIBRS)",
        "field.reporting_coverage": "Agency-months reported to the FBI",
        "category.policy_status.limits_cooperation": "Limits cooperation with ICE",
        "category.policy_status.mandates_cooperation": "Mandates cooperation with ICE",
        "category.policy_status.conflicting": "Conflicting policies",
        "category.policy_status.city_limits_cooperation": "A city in the county limits cooperation",
        "category.policy_status.city_mandates_cooperation": "A city in the county mandates "
        "cooperation",
        "category.policy_status.city_conflicting": "A city in the county has conflicting policies",
        "category.policy_status.undocumented": "Nothing documented",
        "category.policy_level.state": "the state",
        "category.policy_level.county": "the county",
        "category.policy_level.city": "a city",
        "period.list": "287(g) list of {date}",
        "period.date": "{date}",
        "period.fiscal_year": "fiscal year {year}",
        "period.year": "{year} data",
        "source": "Source",
        "as_of": "As of {date}",
        "county_profile": "County profile (JSON)",
        "date_label": "Date",
        "previous_list": "Previous 287(g) list",
        "next_list": "Next 287(g) list",
        "loading": "Loading…",
        "load_failed": "Could not load this date",
        "search_label": "Find a county",
        "search_placeholder": "County name…",
        "search_none": "No county of that name",
        "layer.counties": "Counties",
        "layer.states": "State borders",
        "layer.facilities": "ICE detention facilities (circle area: average daily population)",
        "layer.agencies": "287(g) agencies: {model}",
        "facility": "ICE detention facility",
        "facility_adp": "Average daily population, fiscal year {year}",
        "facility_type": "Facility type",
        "agency": "287(g) agreement",
        "agency_model": "Support model",
        "agency_type": "Agency type",
        "agency_signed": "Signed",
        "insets": "Alaska (reduced), Hawaii and Puerto Rico are shown in insets.",
        "attribution": "Data: {sources}; boundaries: U.S. Census Bureau. Map: enforcemap, Leaflet.",
        "legend_label": "Legend",
        "snippet_title": "Embed this map",
        "snippet_intro": "Copy this HTML into your page. The map keeps its layer, state, date "
        "and language, and loads nothing from any other site.",
        "snippet_copy": "Copy",
        "snippet_copied": "Copied",
        "snippet_preview": "Preview",
        "united_states": "United States",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "layers_title": "Layers",
        "close_popup": "Close",
    },
    "es": {
        "site_tagline": "La aplicación de las leyes de inmigración en Estados Unidos, condado "
        "por condado",
        "landing_intro": "Elija un mapa, recorra las listas 287(g) desde 2007 con el control de "
        "fecha y haga clic en un condado para ver sus valores, sus años y sus fuentes.",
        "nav_label": "Mapas",
        "state_label": "Estado",
        "all_states": "Todos los estados",
        "other_language": "English",
        "embed_link": "Insertar este mapa",
        "open_full_map": "Abrir el mapa completo",
        "title.agreements": "Acuerdos 287(g) activos",
        "title.policy": "Políticas santuario y antisantuario",
        "title.detention": "Detención de ICE por cada 100 000 residentes",
        "title.ucr_violent": "Tasa de delitos violentos (FBI UCR Summary)",
        "title.nibrs_violent": "Tasa de delitos violentos (FBI NIBRS)",
        "title.coverage": "Cobertura de los informes de delitos",
        "unit.agreements": "acuerdos que abarcan el condado (agencias del condado y organismos "
        "de varios condados)",
        "unit.policy": "situación de la política vigente, según el nivel que la decide",
        "unit.detention": "población diaria promedio detenida por ICE por cada 100 000 residentes",
        "unit.ucr_violent": "delitos violentos por cada 100 000 residentes, serie UCR Summary",
        "unit.nibrs_violent": "delitos violentos por cada 100 000 residentes, serie NIBRS",
        "unit.coverage": "proporción de meses-agencia informados al FBI, ponderada por población",
        "source.agreements": "Listas de agencias participantes en 287(g) de ICE",
        "source.policy": "Leyes estatales recopiladas con citas; lista de jurisdicciones "
        "santuario del DOJ (2025-08-05); lista de políticas de detención de ICE/CIS (2014)",
        "source.detention": "Estadísticas anuales de detención de ICE; estimaciones de "
        "población del Censo",
        "source.ucr_violent": "Tasas por condado de FBI UCR Summary, recopiladas por el Urban "
        "Institute",
        "source.nibrs_violent": "Tasas por condado de FBI NIBRS, recopiladas por el Urban "
        "Institute",
        "source.coverage": "Participación de las agencias en el Crime Data Explorer del FBI",
        "source.population": "Estimaciones de población de la Oficina del Censo (PEP)",
        "warning.ucr_violent": "UCR Summary y NIBRS cuentan los delitos violentos de forma "
        "distinta: nunca compare este mapa con el de NIBRS.",
        "warning.nibrs_violent": "NIBRS y UCR Summary cuentan los delitos violentos de forma "
        "distinta: nunca compare este mapa con el de UCR.",
        "unknown.policy": "Nada documentado (no equivale a ninguna política)",
        "unknown": "Desconocido (la ventana explica por qué)",
        "unknown_value": "desconocido",
        "field.agreements_active": "Acuerdos 287(g) activos",
        "field.agreement_models": "Modelos de apoyo",
        "field.statewide_agreements": "Acuerdos 287(g) de alcance estatal en el estado",
        "field.population": "Población",
        "field.policy_status": "Situación de la política",
        "field.policy_level": "Decidida por",
        "field.detention_adp_per_100k": "Detención de ICE por cada 100 000 residentes",
        "field.detention_adp": "Población diaria promedio detenida por ICE",
        "field.detention_facilities": "Centros de detención de ICE",
        "field.ucr_violent_rate": "Delitos violentos por cada 100 000 (UCR Summary)",
        "field.ucr_coverage": "Indicador de cobertura (NACJD)",
        "field.nibrs_violent_rate": "Delitos violentos por cada 100 000 (NIBRS)",
        "field.reporting_coverage": "Meses-agencia informados al FBI",
        "category.policy_status.limits_cooperation": "Limita la cooperación con ICE",
        "category.policy_status.mandates_cooperation": "Obliga a cooperar con ICE",
        "category.policy_status.conflicting": "Políticas contradictorias",
        "category.policy_status.city_limits_cooperation": "Una ciudad del condado limita la "
        "cooperación",
        "category.policy_status.city_mandates_cooperation": "Una ciudad del condado obliga a "
        "cooperar",
        "category.policy_status.city_conflicting": "Una ciudad del condado tiene políticas "
        "contradictorias",
        "category.policy_status.undocumented": "Nada documentado",
        "category.policy_level.state": "el estado",
        "category.policy_level.county": "el condado",
        "category.policy_level.city": "una ciudad",
        "period.list": "lista 287(g) del {date}",
        "period.date": "{date}",
        "period.fiscal_year": "año fiscal {year}",
        "period.year": "datos de {year}",
        "source": "Fuente",
        "as_of": "Datos al {date}",
        "county_profile": "Perfil del condado (JSON)",
        "date_label": "Fecha",
        "previous_list": "Lista 287(g) anterior",
        "next_list": "Lista 287(g) siguiente",
        "loading": "Cargando…",
        "load_failed": "No se pudo cargar esta fecha",
        "search_label": "Buscar un condado",
        "search_placeholder": "Nombre del condado…",
        "search_none": "Ningún condado con ese nombre",
        "layer.counties": "Condados",
        "layer.states": "Límites estatales",
        "layer.facilities": "Centros de detención de ICE (área del círculo: población diaria "
        "promedio)",
        "layer.agencies": "Agencias 287(g): {model}",
        "facility": "Centro de detención de ICE",
        "facility_adp": "Población diaria promedio, año fiscal {year}",
        "facility_type": "Tipo de centro",
        "agency": "Acuerdo 287(g)",
        "agency_model": "Modelo de apoyo",
        "agency_type": "Tipo de agencia",
        "agency_signed": "Firmado",
        "insets": "Alaska (reducida), Hawái y Puerto Rico se muestran en recuadros.",
        "attribution": "Datos: {sources}; límites: Oficina del Censo de EE. UU. Mapa: "
        "enforcemap, Leaflet.",
        "legend_label": "Leyenda",
        "snippet_title": "Insertar este mapa",
        "snippet_intro": "Copie este HTML en su página. El mapa conserva su capa, estado, fecha "
        "e idioma, y no carga nada de ningún otro sitio.",
        "snippet_copy": "Copiar",
        "snippet_copied": "Copiado",
        "snippet_preview": "Vista previa",
        "united_states": "Estados Unidos",
        "zoom_in": "Acercar",
        "zoom_out": "Alejar",
        "layers_title": "Capas",
        "close_popup": "Cerrar",
    },
}


def texts(lang: Lang) -> dict[str, str]:
    """Every message in ``lang``."""
    return TEXT[lang]


def pick_language(lang: str | None, accept_language: str | None) -> Lang:
    """``lang`` if given (one of :data:`LANGS`), else the best of ``Accept-Language``, else English.

    Examples
    --------
    >>> pick_language(None, "es-MX,es;q=0.9,en;q=0.8")
    'es'
    >>> pick_language(None, "fr-FR, en;q=0.5")
    'en'
    """
    if lang is not None:
        code = lang.strip().lower()
        if code not in LANGS:
            raise UnknownLanguage(f"lang: {lang!r} is not one of {', '.join(LANGS)}")
        return code  # type: ignore[return-value]
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].strip().lower()
        if primary in LANGS and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANG
