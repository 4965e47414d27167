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

  // Markdown would read an agent's name such as "_ann_" as emphasis: show it as typed.
  function escapeMarkdown(text) {
    return String(text).replace(/[\\`*_{}\[\]()#+\-.!<>|~]/g, "\\$&");
  }

  // A live agent's words come from the same bot account as the assistant's: the service marks them with
  // channelData.handoff.agent, and this names the speaker at the top of the bubble so the two never look alike.
  function nameTheAgent(activity) {
    var handoff = activity && activity.channelData && activity.channelData.handoff;
    var agent = handoff && typeof handoff.agent === "string" ? handoff.agent.trim() : "";
    if (activity.type !== "message" || !agent || typeof activity.text !== "string") {
      return activity;
    }
    var named = Object.assign({}, activity, {
      // Capitalised like the join notice ("Alice from the support team has joined the chat.").
      text: "**" + escapeMarkdown(agent.charAt(0).toUpperCase() + agent.slice(1)) + "** (support team)\n\n" + activity.text,
      textFormat: "markdown"
    });
    named.from = Object.assign({}, activity.from, { name: agent });
    return named;
  }

  function createStore() {
    return window.WebChat.createStore({}, function () {
      return function (next) {
        return function (action) {
          if (action.type === "DIRECT_LINE/INCOMING_ACTIVITY" && action.payload && action.payload.activity) {
            action = Object.assign({}, action, {
              payload: Object.assign({}, action.payload, { activity: nameTheAgent(action.payload.activity) })
            });
          }
          return next(action);
        };
      };
    });
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
        store: createStore(),
        styleOptions: {
          hideUploadButton: true,
          rootHeight: "100%",
          // Every choice in view, its whole label wrapped: the carousel hid the third severity behind an
          // arrow and cut long labels on a phone screen.
          suggestedActionLayout: "stacked",
          suggestedActionsStackedLayoutButtonTextWrap: true
        }
      },
      document.getElementById("webchat")
    );
  }

  start().catch(function () {
    showStatus("The chat is unavailable right now. Please try again later or call us.");
  });
})();
