// Times in the support desk's zone (CHAT_TIMEZONE, the zone the bot speaks in), always labelled:
// "Nov 24, 3:00 PM EST", never this browser's local time without a zone. Shared by the console pages.
"use strict";

window.deskTime = {
  formatter(options) {
    const zone = document.body.dataset.deskZone;
    const base = { hour: "numeric", minute: "2-digit", timeZoneName: "short", ...options };
    try {
      return new Intl.DateTimeFormat("en-US", { ...base, timeZone: zone });
    } catch (_) {
      return new Intl.DateTimeFormat("en-US", base); // an unknown zone name: the browser's own, still labelled
    }
  },
};
