// Times in the support desk's zone (CHAT_TIMEZONE, the zone the bot speaks in), always labelled:
// "Nov 24, 3:00 PM EST", never this browser's local time without a zone. Shared by the console pages.
"use strict";

window.deskTime = {
  // How far apart two instants are, to the second for the last hour: "4m 09s", "2h 05m", "3d 4h".
  span(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const [d, h, m, s] = [Math.floor(total / 86400), Math.floor((total % 86400) / 3600), Math.floor((total % 3600) / 60), total % 60];
    const pad = (n) => String(n).padStart(2, "0");
    if (d) return `${d}d ${h}h`;
    return h ? `${h}h ${pad(m)}m` : `${m}m ${pad(s)}s`;
  },
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
