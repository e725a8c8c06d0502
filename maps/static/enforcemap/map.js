/*
 * enforcemap map pages: decode the county TopoJSON, colour it by the current date's frame,
 * and keep the legend, popups, overlays, date control and URL in step with that frame.
 *
 * Every string that comes from the data (county, agency and facility names, notes) is written
 * with textContent, never as HTML, so a name such as "<script>" stays text.
 */
(function () {
  "use strict";

  var HATCH = "enforcemap-unknown";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function at(value, i) {
    return Array.isArray(value) ? value[i] : value;
  }

  function addHatchPattern() {
    if (document.getElementById(HATCH)) return;
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    var pattern = document.createElementNS(ns, "pattern");
    pattern.id = HATCH;
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "6");
    pattern.setAttribute("height", "6");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "6");
    back.setAttribute("height", "6");
    back.setAttribute("fill", "#f2f2f2");
    var line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("y1", "0");
    line.setAttribute("x2", "0");
    line.setAttribute("y2", "6");
    line.setAttribute("stroke", "#8c8c8c");
    line.setAttribute("stroke-width", "2.5");
    pattern.appendChild(back);
    pattern.appendChild(line);
    var defs = document.createElementNS(ns, "defs");
    defs.appendChild(pattern);
    svg.appendChild(defs);
    document.body.appendChild(svg);
  }

  function swatch(colour) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "swatch");
    svg.setAttribute("viewBox", "0 0 18 12");
    svg.setAttribute("aria-hidden", "true");
    var rect = document.createElementNS(ns, "rect");
    rect.setAttribute("width", "18");
    rect.setAttribute("height", "12");
    rect.setAttribute("fill", colour);
    rect.setAttribute("stroke", "#777");
    rect.setAttribute("stroke-width", "1");
    svg.appendChild(rect);
    return svg;
  }

  function App(map, data) {
    this.map = map;
    this.data = data;
    this.t = data.text;
    this.frame = data.frame;
    this.locale = data.locale;
    this.indicator = data.indicator;
    this.layers = {};
    this.counties = [];
    this.number = {
      int: new Intl.NumberFormat(data.locale, { maximumFractionDigits: 0 }),
      number: new Intl.NumberFormat(data.locale, { maximumFractionDigits: 1 }),
      percent: new Intl.NumberFormat(data.locale, { style: "percent", maximumFractionDigits: 1 }),
    };
    // Exact classes (low == high) are tested before ranges that would also hold their value.
    var classes = this.indicator.classes;
    this.classOrder = classes
      .map(function (_, i) {
        return i;
      })
      .sort(function (a, b) {
        return (
          (classes[a][0] === classes[a][1] ? 0 : 1) - (classes[b][0] === classes[b][1] ? 0 : 1) ||
          a - b
        );
      });
  }

  App.prototype.format = function (value, format) {
    if (value === null || value === undefined) return this.t.unknown_value;
    return (this.number[format] || this.number.number).format(value);
  };

  App.prototype.colour = function (value) {
    var ind = this.indicator;
    if (value === null || value === undefined) return "url(#" + HATCH + ")";
    if (ind.categorical) return ind.colours[value] || "url(#" + HATCH + ")";
    for (var k = 0; k < this.classOrder.length; k++) {
      var i = this.classOrder[k],
        low = ind.classes[i][0],
        high = ind.classes[i][1];
      if (
        low === high
          ? value === low
          : (low === null || value >= low) && (high === null || value < high)
      ) {
        return ind.colours[i];
      }
    }
    return "url(#" + HATCH + ")";
  };

  App.prototype.classLabel = function (range) {
    var format = this.frame.fields[0].format,
      low = range[0],
      high = range[1],
      self = this;
    function f(v) {
      return self.format(v, format);
    }
    if (low === high) return f(low);
    if (low === null) return "< " + f(high);
    if (high === null) return f(low) + "+";
    if (format === "int") return high - 1 === low ? f(low) : f(low) + "–" + f(high - 1);
    return f(low) + "–" + f(high);
  };

  App.prototype.period = function (field, i) {
    var value = at(field.period, i);
    if (value === null || value === undefined) return null;
    return fill(this.t["period." + field.periodKind], { date: value, year: value });
  };

  App.prototype.countyStyle = function (i) {
    var national = this.data.scope.state === null;
    return {
      fillColor: this.colour(this.frame.fields[0].values[i]),
      fillOpacity: 0.9,
      color: "#ffffff",
      weight: national ? 0.35 : 0.8,
      className: "county fips-" + this.data.counties.fips[i],
    };
  };

  App.prototype.countyLabel = function (i) {
    var fips = this.data.counties.fips[i];
    return this.data.counties.names[i] + ", " + this.data.counties.states[fips.slice(0, 2)];
  };

  App.prototype.tooltip = function (i) {
    var field = this.frame.fields[0],
      box = el("div", "tip");
    box.appendChild(el("strong", null, this.countyLabel(i)));
    box.appendChild(el("span", null, " " + this.fieldText(field, i)));
    return box;
  };

  App.prototype.fieldText = function (field, i) {
    var value = field.values[i];
    if (field.format === "category") {
      return value === null
        ? this.t.unknown_value
        : this.indicator.categoryLabels[field.column][value];
    }
    if (field.format === "text") return value === null ? "" : field.table[value];
    return this.format(value, field.format);
  };

  App.prototype.popup = function (i) {
    var box = el("div", "county-popup"),
      list = el("dl"),
      self = this;
    box.appendChild(el("h3", null, this.countyLabel(i)));
    this.frame.fields.forEach(function (field) {
      var value = field.values[i];
      // A missing text or category (no models when no agreement, no deciding level when
      // nothing is documented) is absence, not an unknown number: the line is left out.
      if (value === null && (field.format === "text" || field.format === "category")) return;
      list.appendChild(el("dt", null, self.t["field." + field.column]));
      var dd = el("dd", null, self.fieldText(field, i));
      var period = self.period(field, i);
      if (period) dd.appendChild(el("span", "period", " (" + period + ")"));
      list.appendChild(dd);
      var note = field.notes ? field.notes[i] : null;
      if (note !== null && note !== undefined)
        list.appendChild(el("dd", "note", self.frame.notes[note]));
      if (field.source) list.appendChild(el("dd", "note", self.t["source." + field.source]));
    });
    box.appendChild(list);
    box.appendChild(
      el("p", "source", this.t.source + ": " + this.t["source." + this.indicator.name]),
    );
    if (this.data.profileUrl) {
      var link = el("a", null, this.t.county_profile);
      link.href = this.data.profileUrl + this.data.counties.fips[i];
      box.appendChild(link);
    }
    return box;
  };

  App.prototype.popupHeight = function () {
    return Math.max(160, Math.min(360, this.map.getSize().y - 90));
  };

  App.prototype.buildCounties = function () {
    var topology = this.data.counties.topology,
      self = this;
    var collection = topojson.feature(topology, topology.objects.counties);
    this.data.counties.fips = collection.features.map(function (f) {
      return f.id;
    });
    var group = L.featureGroup();
    collection.features.forEach(function (feature, i) {
      var layer = L.GeoJSON.geometryToLayer(feature, self.countyStyle(i));
      layer.bindTooltip(
        function () {
          return self.tooltip(i);
        },
        { sticky: true, direction: "top" },
      );
      layer.bindPopup(
        function () {
          return self.popup(i);
        },
        { maxWidth: 320, maxHeight: self.popupHeight() },
      );
      layer.on("mouseover", function () {
        layer.setStyle({ weight: 2.5, color: "#222222" });
        layer.bringToFront();
      });
      layer.on("mouseout", function () {
        layer.setStyle(self.countyStyle(i));
      });
      self.counties.push(layer);
      group.addLayer(layer);
    });
    this.layers.counties = group;
  };

  App.prototype.buildBorders = function () {
    var topology = this.data.counties.topology,
      national = this.data.scope.state === null;
    // State borders are the county arcs whose two sides lie in different states, plus the
    // outer edge: drawn from the same arcs, they meet the counties exactly.
    var mesh = topojson.mesh(topology, topology.objects.counties, function (a, b) {
      return a === b || a.id.slice(0, 2) !== b.id.slice(0, 2);
    });
    var group = L.featureGroup([
      L.geoJSON(mesh, {
        pane: "borders",
        interactive: false,
        style: { color: "#3a3a3a", weight: national ? 0.9 : 1.4, fill: false },
      }),
    ]);
    this.data.scope.insets.forEach(function (box) {
      group.addLayer(
        L.rectangle(
          [
            [box[1], box[0]],
            [box[3], box[2]],
          ],
          {
            pane: "borders",
            interactive: false,
            color: "#8a8a8a",
            weight: 1,
            dashArray: "4 3",
            fill: false,
          },
        ),
      );
    });
    this.layers.states = group;
  };

  App.prototype.buildPoints = function () {
    this.layers.facilities = L.featureGroup();
    for (var m = 0; m < this.data.modelColours.length; m++)
      this.layers["agencies:" + m] = L.featureGroup();
    this.fillPoints();
  };

  App.prototype.fillPoints = function () {
    var self = this,
      facilities = this.frame.facilities,
      agencies = this.frame.agencies;
    this.layers.facilities.clearLayers();
    facilities.x.forEach(function (x, i) {
      var adp = facilities.adp[i];
      var marker = L.circleMarker([facilities.y[i], x], {
        pane: "points",
        radius: adp === null ? 3 : 2 + 0.45 * Math.sqrt(adp),
        color: "#1f1f1f",
        weight: 1,
        dashArray: adp === null ? "2 2" : null,
        fillColor: "#5b3a8c",
        fillOpacity: adp === null ? 0 : 0.35,
      });
      marker.bindPopup(function () {
        return self.facilityPopup(i);
      });
      self.layers.facilities.addLayer(marker);
    });
    for (var m = 0; m < this.data.modelColours.length; m++)
      this.layers["agencies:" + m].clearLayers();
    agencies.x.forEach(function (x, i) {
      var model = agencies.model[i];
      if (model === null) return;
      var marker = L.circleMarker([agencies.y[i], x], {
        pane: "points",
        radius: 4,
        color: "#ffffff",
        weight: 1,
        fillColor: self.data.modelColours[model],
        fillOpacity: 0.9,
      });
      marker.bindPopup(function () {
        return self.agencyPopup(i);
      });
      self.layers["agencies:" + model].addLayer(marker);
    });
  };

  App.prototype.facilityPopup = function (i) {
    var f = this.frame.facilities,
      box = el("div", "point-popup"),
      list = el("dl");
    box.appendChild(el("p", "kind", this.t.facility));
    box.appendChild(el("h3", null, f.name[i]));
    if (f.city[i]) box.appendChild(el("p", null, f.city[i]));
    list.appendChild(el("dt", null, fill(this.t.facility_adp, { year: f.fiscalYear })));
    list.appendChild(el("dd", null, this.format(f.adp[i], "number")));
    if (f.type[i]) {
      list.appendChild(el("dt", null, this.t.facility_type));
      list.appendChild(el("dd", null, f.type[i]));
    }
    box.appendChild(list);
    box.appendChild(el("p", "source", this.t.source + ": " + this.t["source.detention"]));
    return box;
  };

  App.prototype.agencyPopup = function (i) {
    var a = this.frame.agencies,
      box = el("div", "point-popup"),
      list = el("dl");
    box.appendChild(el("p", "kind", this.t.agency));
    box.appendChild(el("h3", null, a.names[a.name[i]]));
    list.appendChild(el("dt", null, this.t.agency_model));
    list.appendChild(el("dd", null, a.models[a.model[i]]));
    if (a.type[i] !== null) {
      list.appendChild(el("dt", null, this.t.agency_type));
      list.appendChild(el("dd", null, a.types[a.type[i]]));
    }
    if (a.signed[i]) {
      list.appendChild(el("dt", null, this.t.agency_signed));
      list.appendChild(el("dd", null, a.signed[i]));
    }
    box.appendChild(list);
    box.appendChild(el("p", "source", this.t.source + ": " + this.t["source.agreements"]));
    return box;
  };

  App.prototype.legend = function () {
    var self = this,
      ind = this.indicator,
      t = this.t;
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = el("details", "legend leaflet-control");
      box.open = !(window.innerWidth < 520);
      box.setAttribute("aria-label", t.legend_label);
      box.appendChild(el("summary", "legend-title", t["title." + ind.name]));
      // An embed's footer names the source; its legend keeps to the colours and the period.
      if (!self.data.embed) box.appendChild(el("p", "unit", t["unit." + ind.name]));
      var list = el("ul");
      var entries = ind.categorical
        ? ind.colours.map(function (colour, i) {
            return [colour, ind.categoryLabels[self.frame.fields[0].column][i]];
          })
        : ind.classes.map(function (range, i) {
            return [ind.colours[i], self.classLabel(range)];
          });
      entries.push(["url(#" + HATCH + ")", t["unknown." + ind.name] || t.unknown]);
      entries.forEach(function (entry) {
        var item = el("li");
        item.appendChild(swatch(entry[0]));
        item.appendChild(el("span", null, entry[1]));
        list.appendChild(item);
      });
      box.appendChild(list);
      self.periodLine = el("p", "period");
      box.appendChild(self.periodLine);
      if (!self.data.embed)
        box.appendChild(el("p", "source", t.source + ": " + t["source." + ind.name]));
      if (t["warning." + ind.name]) box.appendChild(el("p", "warning", t["warning." + ind.name]));
      if (self.data.scope.insets.length) box.appendChild(el("p", "insets", t.insets));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(this.map);
  };

  // The date control and the as-of line sit under the map (page template); this wires them.
  App.prototype.wireDateControl = function () {
    var self = this,
      dates = this.data.dates;
    var slider = document.getElementById("enforcemap-date");
    var shown = document.getElementById("enforcemap-date-value");
    this.slider = slider;
    this.dateOutput = shown;
    this.status = document.getElementById("enforcemap-status");
    slider.addEventListener("input", function () {
      shown.textContent = dates[+slider.value];
      slider.setAttribute("aria-valuetext", dates[+slider.value]);
    });
    slider.addEventListener("change", function () {
      self.load(dates[+slider.value]);
    });
    document.getElementById("enforcemap-previous").addEventListener("click", function () {
      self.step(-1);
    });
    document.getElementById("enforcemap-next").addEventListener("click", function () {
      self.step(1);
    });
  };

  App.prototype.listPosition = function (date) {
    var dates = this.data.dates,
      position = 0;
    for (var i = 0; i < dates.length; i++) if (dates[i] <= date) position = i;
    return position;
  };

  App.prototype.step = function (delta) {
    var position = Math.min(this.data.dates.length - 1, Math.max(0, +this.slider.value + delta));
    this.slider.value = String(position);
    this.load(this.data.dates[position]);
  };

  App.prototype.load = function (date) {
    var self = this;
    if (this.pending) this.pending.abort();
    var controller = new AbortController();
    this.pending = controller;
    this.status.textContent = this.t.loading;
    var url =
      this.data.frameUrl +
      (this.data.frameUrl.indexOf("?") < 0 ? "?" : "&") +
      "date=" +
      encodeURIComponent(date);
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (frame) {
        self.pending = null;
        self.status.textContent = "";
        self.apply(frame);
        self.keepDateInUrls(frame.date);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") self.status.textContent = self.t.load_failed;
      });
  };

  App.prototype.apply = function (frame) {
    var self = this;
    this.frame = frame;
    this.counties.forEach(function (layer, i) {
      layer.setStyle(self.countyStyle(i));
    });
    this.fillPoints();
    this.showPeriod();
    if (this.slider) {
      this.slider.value = String(this.listPosition(frame.date));
      this.slider.setAttribute("aria-valuetext", frame.date);
      this.dateOutput.textContent = frame.date;
    }
    this.map.closePopup();
    document.documentElement.setAttribute("data-date", frame.date);
  };

  App.prototype.showPeriod = function () {
    var period = this.period(this.frame.fields[0], 0);
    if (this.periodLine) this.periodLine.textContent = period || "";
    document.getElementById("enforcemap-as-of").textContent = fill(this.t.as_of, {
      date: this.frame.date,
    });
  };

  // The date lives in the URL: the address bar, the nav links, the embed link, the state menu.
  App.prototype.keepDateInUrls = function (date) {
    function withDate(href) {
      var url = new URL(href, window.location.href);
      url.searchParams.set("date", date);
      return url.pathname + url.search;
    }
    window.history.replaceState(null, "", withDate(window.location.href));
    document.querySelectorAll("a[data-keep-date]").forEach(function (a) {
      a.href = withDate(a.getAttribute("href"));
    });
    document.querySelectorAll("select[data-navigate] option").forEach(function (o) {
      o.value = withDate(o.value);
    });
  };

  App.prototype.search = function () {
    var self = this,
      t = this.t;
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var box = el("form", "search leaflet-control");
      box.setAttribute("role", "search");
      var id = "enforcemap-search";
      var label = el("label", "visually-hidden", t.search_label);
      label.htmlFor = id;
      var input = el("input");
      input.id = id;
      input.type = "search";
      input.placeholder = t.search_placeholder;
      input.setAttribute("list", id + "-list");
      input.autocomplete = "off";
      var options = el("datalist");
      options.id = id + "-list";
      var byLabel = {};
      self.counties.forEach(function (_, i) {
        var text = self.countyLabel(i);
        byLabel[text.toLowerCase()] = i;
        var option = el("option");
        option.value = text;
        options.appendChild(option);
      });
      var status = el("span", "status");
      status.setAttribute("role", "status");
      box.appendChild(label);
      box.appendChild(input);
      box.appendChild(options);
      box.appendChild(status);
      function go(event) {
        if (event) event.preventDefault();
        var i = byLabel[input.value.trim().toLowerCase()];
        if (i === undefined) {
          status.textContent = input.value.trim() ? t.search_none : "";
          return;
        }
        status.textContent = "";
        var layer = self.counties[i];
        self.map.fitBounds(layer.getBounds(), {
          maxZoom: self.map.getZoom() + 3,
          padding: [40, 40],
        });
        layer.openPopup(layer.getBounds().getCenter());
      }
      box.addEventListener("submit", go);
      input.addEventListener("change", go);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(this.map);
  };

  // Fit the scope beside an open legend rather than under it.
  App.prototype.fit = function () {
    var b = this.data.scope.bounds,
      bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    var legend = this.map.getContainer().querySelector(".legend");
    var wide = legend && legend.open && this.map.getSize().x > 2.5 * legend.offsetWidth;
    var right = wide ? legend.offsetWidth + 16 : 8;
    // Without tile layers Leaflet clamps zoom at 0; kilometres need negative zooms to fit.
    this.map.setMinZoom(-12);
    this.map.fitBounds(bounds, {
      paddingTopLeft: [8, 8],
      paddingBottomRight: [right, 8],
      animate: false,
    });
    this.map.setMinZoom(this.map.getZoom() - 1);
    this.map.setMaxZoom(this.map.getZoom() + 7);
    this.map.setMaxBounds(bounds.pad(0.5));
  };

  function navigateOnSelect() {
    document.querySelectorAll("select[data-navigate]").forEach(function (select) {
      select.addEventListener("change", function () {
        window.location.href = select.value;
      });
    });
  }

  function start(map, payloadId) {
    var data = JSON.parse(document.getElementById(payloadId).textContent);
    addHatchPattern();
    map.createPane("borders").style.zIndex = 410;
    map.getPane("borders").style.pointerEvents = "none";
    map.createPane("points").style.zIndex = 420;
    var app = new App(map, data);
    app.buildCounties();
    app.buildBorders();
    app.buildPoints();
    L.control.zoom({ zoomInTitle: data.text.zoom_in, zoomOutTitle: data.text.zoom_out }).addTo(map);
    if (!data.embed) app.search();
    app.legend();
    if (data.frameUrl) app.wireDateControl();
    app.showPeriod();
    app.fit();
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", data.text.close_popup);
    });
    // Leaflet titles its layer-control button in English; folium adds the control after us.
    window.setTimeout(function () {
      document.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (toggle) {
        toggle.title = data.text.layers_title;
        toggle.setAttribute("aria-label", data.text.layers_title);
      });
    }, 0);
    navigateOnSelect();
    document.documentElement.setAttribute("data-date", data.frame.date);
    window.enforcemapApp = app;
    return app;
  }

  window.enforcemap = { start: start };
})();
