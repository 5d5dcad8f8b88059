// govgraph's GraphiQL page: renders GraphiQL (loaded from this server's /ide/vendor/) against the endpoint in
// #graphiql's data attributes. No inline script, no other origin: the page's Content-Security-Policy forbids both.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var data = root.dataset;
  var prefix = data.storage || "govgraph:";

  // GraphiQL keeps tabs and history in localStorage: one namespace per schema, so the public and the full
  // IDE on the same origin do not mix their queries. Headers (tokens) are never persisted.
  var storage = {
    getItem: function (key) { return window.localStorage.getItem(prefix + key); },
    setItem: function (key, value) { window.localStorage.setItem(prefix + key, value); },
    removeItem: function (key) { window.localStorage.removeItem(prefix + key); },
    clear: function () {
      Object.keys(window.localStorage)
        .filter(function (key) { return key.indexOf(prefix) === 0; })
        .forEach(function (key) { window.localStorage.removeItem(key); });
    },
    get length() {
      return Object.keys(window.localStorage).filter(function (key) { return key.indexOf(prefix) === 0; }).length;
    },
  };

  var fetcher = GraphiQL.createFetcher({ url: new URL(data.endpoint, window.location.href).toString() });
  var props = {
    fetcher: fetcher,
    storage: storage,
    defaultQuery: data.query,
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true,
  };
  if (data.headers) {
    props.defaultHeaders = data.headers;
    props.defaultEditorToolsVisibility = "headers";
  }
  root.textContent = "";
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
