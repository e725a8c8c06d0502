"""County maps of the atlas: light geometry, folium pages, embeds, in English and Spanish.

``geometry`` (with ``projection`` and ``topology``) makes the county shapes once per snapshot;
``frames`` gives what a map shows on one date; ``choropleth`` and ``pages`` build the folium
pages around them; ``embed`` writes iframes and oEmbed answers; ``i18n`` holds every word;
``assets`` serves or inlines the vendored Leaflet. ``views`` ties them to one snapshot.
"""
