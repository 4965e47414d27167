// Starts the official Web Chat against this service's own Direct Line gateway (same origin, no secret).
"use strict";

(function () {
  var status = document.getElementById("chat-status");

  function showStatus(message) {
    status.textContent = message;
    status.hidden = false;
  }

  async function fetchToken() {
    // The token is bound to one new conversation and expires; Web Chat refreshes it while the page is open.
    var response = await fetch("/api/webchat/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    });
    if (!response.ok) {
      throw new Error("token request answered " + response.status);
    }
    return (await response.json()).token;
  }

  async function start() {
    if (!window.WebChat) {
      showStatus("The chat could not be loaded. Please try again later or call us.");
      return;
    }
    var token = await fetchToken();
    var directLine = window.WebChat.createDirectLine({
      token: token,
      domain: window.location.origin + "/v3/directline"
    });
    window.WebChat.renderWebChat(
      {
        directLine: directLine,
        locale: document.documentElement.lang === "en" ? "en-US" : document.documentElement.lang,
        styleOptions: { hideUploadButton: true, rootHeight: "100%" }
      },
      document.getElementById("webchat")
    );
  }

  start().catch(function () {
    showStatus("The chat is unavailable right now. Please try again later or call us.");
  });
})();
