/* The /sparql query page: the vendored YASGUI editor (./yasgui/) pointed at this endpoint, one tab per example
 * query of the page (the list under "Examples", rendered by api/routers/sparql.py from mappings/sparql-examples),
 * and IRIs of the results linked to this service's own pages. A file, not an inline script: the page's
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
    yasr: { prefixes: JSON.parse(root.getAttribute("data-prefixes") || "{}") },
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
})();
