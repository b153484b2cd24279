// Signing in to a server that needs access tokens (JIAOKAN_ACCESS_TOKENS): once per browser tab.
// Every same-origin request the page makes carries the token kept in sessionStorage; when the
// server answers 401 (no token, or a wrong one), a small form asks for it, keeps it and sends the
// request again. Kept apart from review.js: it only wraps window.fetch.
(() => {
  "use strict";
  const KEY = "jiaokan-access-token";
  const plainFetch = window.fetch.bind(window);

  function sameOrigin(resource) {
    const url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
    return url.origin === location.origin;
  }

  function withToken(init, token) {
    const headers = new Headers((init && init.headers) || {});
    if (token) headers.set("authorization", "Bearer " + token);
    return Object.assign({}, init, { headers });
  }

  function askForToken() {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.className = "signin";
      dialog.innerHTML =
        '<form method="dialog"><label>This server needs an access token to record decisions.<br>' +
        '<input type="password" name="token" autocomplete="current-password" required></label> ' +
        '<button value="sign-in">Sign in</button> <button value="cancel" formnovalidate>Cancel</button></form>';
      document.body.append(dialog);
      dialog.addEventListener("close", () => {
        const token = dialog.returnValue === "sign-in" ? dialog.querySelector("input").value.trim() : "";
        dialog.remove();
        resolve(token);
      });
      dialog.showModal();
    });
  }

  window.fetch = async (resource, init) => {
    if (!sameOrigin(resource)) return plainFetch(resource, init);
    const response = await plainFetch(resource, withToken(init, sessionStorage.getItem(KEY)));
    if (response.status !== 401) return response;
    const token = await askForToken();
    if (!token) return response;
    sessionStorage.setItem(KEY, token);
    return plainFetch(resource, withToken(init, token));
  };
})();
