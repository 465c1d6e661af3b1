/* Juheli's GraphiQL: settings from the page's JSON block (no inline script: the page's CSP
   allows same-origin scripts only), tabs per user group, and a fetcher that sends no
   placeholder header. */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("juheli-ide").textContent);
  var PLACEHOLDER = /<[^>]*>/;

  // Tabs are kept per release of the examples: a browser's old tabs never hide new examples.
  function prefixedStorage(prefix) {
    var local = window.localStorage;
    function ours() {
      var keys = [];
      for (var i = 0; i < local.length; i += 1) {
        var key = local.key(i);
        if (key && key.indexOf(prefix) === 0) keys.push(key);
      }
      return keys;
    }
    return {
      getItem: function (key) { return local.getItem(prefix + key); },
      setItem: function (key, value) { local.setItem(prefix + key, value); },
      removeItem: function (key) { local.removeItem(prefix + key); },
      clear: function () { ours().forEach(function (key) { local.removeItem(key); }); },
      get length() { return ours().length; }
    };
  }

  // A value still holding "<…>" is a hint, not a credential: sending it would only earn a 401.
  // X-Officer may be a Chinese name: percent-encoded, as the gateway reads it (docs/access.md).
  function sendable(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = String(headers[name]);
      if (PLACEHOLDER.test(value)) return;
      out[name] = name.toLowerCase() === "x-officer" ? encodeURIComponent(value) : value;
    });
    return out;
  }

  // GraphiQL 2 takes the operation name from the document it parsed last: just after a tab
  // switch that can be the previous tab's, and the gateway rightly refuses a name the document
  // does not hold. Such a name is replaced by the document's only operation, or dropped.
  var OPERATION = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)\s*[({@]/g;
  function operationNames(query) {
    var names = [];
    var text = String(query || "").replace(/#[^\n]*/g, "");
    var found;
    OPERATION.lastIndex = 0;
    while ((found = OPERATION.exec(text)) !== null) names.push(found[1]);
    return names;
  }

  function named(params) {
    var names = operationNames(params.query);
    if (!params.operationName || names.indexOf(params.operationName) >= 0) return params;
    var out = Object.assign({}, params);
    if (names.length === 1) out.operationName = names[0];
    else delete out.operationName;
    return out;
  }

  var base = GraphiQL.createFetcher({ url: settings.endpoint });
  function fetcher(params, options) {
    var opts = Object.assign({}, options || {});
    opts.headers = sendable(opts.headers);
    return base(named(params), opts);
  }

  var root = document.getElementById("graphiql");
  root.removeAttribute("data-loading");
  root.textContent = "";
  ReactDOM.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: settings.tabs,
      defaultHeaders: settings.defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
      storage: prefixedStorage(settings.storagePrefix)
    }),
    root
  );
})();
