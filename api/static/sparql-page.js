/* The /sparql query page: the vendored YASGUI editor (./yasgui/) pointed at this endpoint, one tab per example
 * query of the page (the list under "Examples", rendered by api/routers/sparql.py from mappings/sparql-examples),
 * IRIs of the results linked to this service's own pages, and a bar chart of results with a numeric column
 * (the "Chart" view, drawn as SVG by this file: no chart library, nothing from elsewhere). A file, not an inline script: the page's
 * Content-Security-Policy allows scripts from 'self' only. Without JavaScript the page's <noscript> form works. */
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  if (!root || typeof Yasgui === "undefined") return;
  var endpoint = root.getAttribute("data-endpoint");
  var iriBase = root.getAttribute("data-iri-base") || "";
  var siteBase = window.location.origin + "/";
  var examples = Array.prototype.map.call(document.querySelectorAll("a[data-query]"), function (a) {
    // a tab is named by the title's head ("Lineage: samples with …" → "Lineage"); the list shows the whole title
    var name = a.textContent.split(/[:(]/)[0].trim();
    if (name.length > 40) name = name.substring(0, 39) + "\u2026";
    return { name: name, query: a.getAttribute("data-query"), link: a };
  });

  var prefixes = JSON.parse(root.getAttribute("data-prefixes") || "{}");
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "float", "double", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte"];
  var MAX_BARS = 40; // more bars would be unreadable; the table has every row
  var SVG = "http://www.w3.org/2000/svg";
  Yasr.registerPlugin("chart", BarChart);
  sortByValue(Yasr.plugins && Yasr.plugins.table);

  // completion of prefixes (bundled list) and variables only: the class and property completers ask an
  // outside service (LOV), which the page's connect-src 'self' does not allow
  Yasgui.defaults.yasqe.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
      keys: [],
    },
    copyEndpointOnNewTab: true,
    persistenceId: null, // a visit starts from the examples; the browser keeps no tabs of earlier visits
    populateFromUrl: false,
    autoAddOnInit: false,
    yasr: { prefixes: prefixes, pluginOrder: ["table", "chart", "response"] },
  });

  function tabFor(example, active) {
    if (!example.tabId) {
      var tab = yasgui.addTab(active, { name: example.name, yasqe: { value: example.query } });
      example.tabId = tab.getId();
    } else if (active) {
      yasgui.selectTabId(example.tabId);
    }
  }
  examples.forEach(function (example, i) {
    tabFor(example, i === 0);
    example.link.addEventListener("click", function (event) {
      event.preventDefault();
      tabFor(example, true);
      root.scrollIntoView();
    });
  });
  if (!examples.length) yasgui.addTab(true);

  // an IRI of this registry (under its IRI base, e.g. https://igsn.org/NAME) links to its page on this service
  function relink(node) {
    if (!iriBase || iriBase === siteBase || !node.querySelectorAll) return;
    node.querySelectorAll("a.iri").forEach(function (a) {
      var href = a.getAttribute("href") || "";
      if (href.indexOf(iriBase) === 0) a.setAttribute("href", siteBase + href.substring(iriBase.length));
    });
  }
  // names YASGUI leaves out (WCAG 2.1: every control has an accessible name); a tab's aria-controls names its
  // panel, which YASGUI only adds to the page once the tab is first shown
  var names = [
    ["input.autocomplete", "SPARQL endpoint"],
    [".CodeMirror textarea", "SPARQL query"],
    ["select.tableSizer", "Rows per page"],
    [".tab input[type=text]", "Tab name"],
  ];
  function label() {
    names.forEach(function (pair) {
      root.querySelectorAll(pair[0]).forEach(function (el) {
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", pair[1]);
      });
    });
    root.querySelectorAll("a[role=tab][aria-controls]").forEach(function (a) {
      if (!document.getElementById(a.getAttribute("aria-controls"))) a.removeAttribute("aria-controls");
    });
  }
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      m.addedNodes.forEach(relink);
    });
    label();
  }).observe(root, { childList: true, subtree: true });
  label();
  window.igsnSparql = yasgui; // for the browser test and for people at the console

  // The table sorts a column by its cells' values, but DataTables picks a column's sort type (numbers, dates,
  // text) from what YASR renders for display ("13"^^xsd:integer), which is never a number: counts sorted as
  // text (13 before 3). Type detection is given the value too, so numeric columns sort as numbers.
  function sortByValue(Table) {
    if (!Table || typeof Table.prototype.getColumns !== "function") return;
    var getColumns = Table.prototype.getColumns;
    Table.prototype.getColumns = function () {
      return getColumns.apply(this, arguments).map(function (column) {
        var render = column.render;
        if (typeof render !== "function") return column;
        column.render = function (data, type, row, meta) {
          return render(data, type === "type" ? "sort" : type, row, meta);
        };
        return column;
      });
    };
  }

  // -- the "Chart" view: one bar per row, for results with a numeric column -------------------------------

  function isNumber(term) {
    return !!term && term.type !== "uri" && term.type !== "bnode" && !!term.datatype &&
      term.datatype.indexOf(XSD) === 0 && NUMERIC.indexOf(term.datatype.substring(XSD.length)) >= 0 &&
      isFinite(parseFloat(term.value));
  }
  function shortName(term) {
    if (!term) return "(none)";
    if (term.type !== "uri") return term.value;
    for (var p in prefixes) {
      if (term.value.indexOf(prefixes[p]) === 0 && term.value.length > prefixes[p].length) {
        return p + ":" + term.value.substring(prefixes[p].length);
      }
    }
    return term.value.replace(/[/#]$/, "").split(/[/#]/).pop() || term.value;
  }
  /* which variable gives the bars' values (numeric in every row) and which their labels (the first other one) */
  function columns(yasr) {
    var bindings = yasr.results && yasr.results.getBindings ? yasr.results.getBindings() : null;
    if (!bindings || !bindings.length) return null;
    var vars = yasr.results.getVariables();
    var value = vars.filter(function (v) {
      return bindings.every(function (row) { return isNumber(row[v]); });
    })[0];
    if (!value) return null;
    var label = vars.filter(function (v) { return v !== value; })[0] || null;
    return { bindings: bindings, value: value, label: label };
  }
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function BarChart(yasr) {
    this.yasr = yasr;
    this.label = "Chart";
    this.priority = 1; // never chosen over the table on its own
  }
  BarChart.prototype.canHandleResults = function () {
    return columns(this.yasr) !== null;
  };
  BarChart.prototype.getIcon = function () {
    var icon = el("svg", { viewBox: "0 0 16 16", width: "16", height: "16", "aria-hidden": "true" });
    [[1, 9, 3, 6], [6, 4, 3, 11], [11, 7, 3, 8]].forEach(function (r) {
      icon.appendChild(el("rect", { x: r[0], y: r[1], width: r[2], height: r[3], fill: "currentColor" }));
    });
    var wrap = document.createElement("div");
    wrap.className = "svgImg"; // sized and placed as YASGUI's own icons
    wrap.appendChild(icon);
    return wrap;
  };
  BarChart.prototype.draw = function () {
    var found = columns(this.yasr);
    if (!found) return;
    var rows = found.bindings.slice(0, MAX_BARS);
    var values = rows.map(function (row) { return parseFloat(row[found.value].value); });
    var labels = rows.map(function (row, i) {
      return found.label ? shortName(row[found.label]) : String(i + 1);
    });
    var high = Math.max.apply(null, values.concat([0]));
    var low = Math.min.apply(null, values.concat([0]));
    var span = high - low || 1;
    var labelWidth = Math.min(260, 12 + 7 * Math.max.apply(null, labels.map(function (l) { return l.length; })));
    var barArea = 480, bar = 18, gap = 6, width = labelWidth + barArea + 80;
    var height = rows.length * (bar + gap) + gap;
    var title = "Bar chart of ?" + found.value + (found.label ? " by ?" + found.label : "");
    var chart = el("svg", { class: "igsn-chart", role: "img", "aria-label": title,
      viewBox: "0 0 " + width + " " + height, width: String(width), height: String(height) });
    chart.appendChild(el("title", {}, title));
    var zero = labelWidth + (barArea * (0 - low)) / span;
    rows.forEach(function (row, i) {
      var y = gap + i * (bar + gap), v = values[i];
      var x = v >= 0 ? zero : zero - (barArea * -v) / span;
      var w = Math.max(1, (barArea * Math.abs(v)) / span);
      var name = el("text", { x: labelWidth - 6, y: y + bar * 0.72, class: "igsn-chart-label" }, labels[i]);
      chart.appendChild(name);
      var rect = el("rect", { x: x, y: y, width: w, height: bar, class: "igsn-chart-bar" });
      rect.appendChild(el("title", {}, labels[i] + ": " + row[found.value].value));
      chart.appendChild(rect);
      chart.appendChild(el("text", { x: x + w + 4, y: y + bar * 0.72, class: "igsn-chart-value" }, row[found.value].value));
    });
    var box = document.createElement("div");
    box.className = "igsn-chart-box";
    box.appendChild(chart);
    if (found.bindings.length > rows.length) {
      var note = document.createElement("p");
      note.textContent = "The first " + rows.length + " of " + found.bindings.length + " rows; the table shows all.";
      box.appendChild(note);
    }
    this.yasr.resultsEl.appendChild(box);
  };
})();
