/**
 * The console's own style sheet and script, served from /assets/ (no external assets; the CSP
 * allows only these). The script is progressive enhancement: every page works without it.
 */

export const CONSOLE_CSS = `
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #16181d; --muted: #4b5160; --card: #fff; --line: #d5d8de;
  --ok: #1d7a3a; --bad: #b3261e; --warn: #8a5a00; --busy: #1f5fbf; --idle: #6b7280; --focus: #1f5fbf; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171b; --fg: #eceef2; --muted: #b4b9c4; --card: #1e2127; --line: #3a3f48;
  --ok: #5fcf80; --bad: #ff8a80; --warn: #f0b94d; --busy: #8ab4ff; --idle: #9aa1ad; --focus: #8ab4ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--busy); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 6px; z-index: 2; }
header.top { display: flex; align-items: center; gap: 20px; padding: 8px 20px; background: var(--card); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header.top .brand { font-weight: 700; }
header.top nav ul { display: flex; gap: 4px; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
header.top nav a { display: block; padding: 6px 10px; border-radius: 6px; text-decoration: none; color: var(--fg); }
header.top nav a[aria-current="page"] { background: var(--bg); font-weight: 600; box-shadow: inset 0 -3px 0 var(--busy); }
header.top .who { margin-left: auto; display: flex; gap: 10px; align-items: center; color: var(--muted); }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: 4px 0 12px; } h2 { font-size: 1.1rem; margin: 20px 0 8px; } h3 { font-size: 1rem; margin: 0; }
.muted { color: var(--muted); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
section.card, article.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 0 0 14px; }
.card header { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; margin-bottom: 8px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; border: 1px solid currentColor; font-size: .85rem; font-weight: 600; }
.status.s-running, .status.s-paused { color: var(--busy); } .status.s-awaiting-approval { color: var(--warn); }
.status.s-completed { color: var(--ok); } .status.s-failed, .status.s-aborted, .status.s-rolled-back, .status.s-completed-with-failures, .status.s-cut-off { color: var(--bad); }
.waves { list-style: none; padding: 0; margin: 0 0 10px; display: grid; gap: 4px; }
.waves li { display: grid; grid-template-columns: 11rem 1fr 15rem; gap: 10px; align-items: center; }
.bar { display: flex; height: 14px; border: 1px solid var(--line); border-radius: 4px; overflow: hidden; background: var(--bg); }
.bar span { display: block; height: 100%; }
.bar .b-done { background: var(--ok); } .bar .b-active { background: repeating-linear-gradient(45deg, var(--busy), var(--busy) 4px, transparent 4px, transparent 7px); }
.bar .b-failed { background: var(--bad); } .bar .b-rolled-back { background: repeating-linear-gradient(-45deg, var(--warn), var(--warn) 3px, transparent 3px, transparent 6px); }
ul.hosts { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 4px; }
ul.hosts li { border: 1px solid var(--line); border-left: 5px solid var(--idle); border-radius: 4px; padding: 2px 6px; font-size: .82rem; background: var(--card); }
ul.hosts li .n { font-weight: 600; } ul.hosts li .v { color: var(--muted); font-variant-numeric: tabular-nums; display: block; }
ul.hosts li.h-healthy { border-left-color: var(--ok); } ul.hosts li.h-failed { border-left-color: var(--bad); }
ul.hosts li.h-rolled-back, ul.hosts li.h-rolling-back { border-left-color: var(--warn); }
ul.hosts li.h-draining, ul.hosts li.h-patching, ul.hosts li.h-rebooting, ul.hosts li.h-verifying, ul.hosts li.h-preflight { border-left-color: var(--busy); }
ul.hosts li.h-skipped { color: var(--muted); background: var(--bg); }
.controls { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.button, button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
.button.primary, button.primary { background: var(--busy); border-color: var(--busy); color: #fff; }
.button.danger, button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
@media (prefers-color-scheme: dark) { .button.primary, button.primary, .button.danger, button.danger { color: #111; } }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--bg); } tbody th { background: transparent; }
form.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin-bottom: 12px; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: .85rem; gap: 2px; }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid var(--muted); border-radius: 5px; background: var(--card); color: var(--fg); }
form.stack { display: grid; gap: 12px; max-width: 28rem; }
.login { max-width: 26rem; margin: 10vh auto; }
.notice { padding: 8px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); margin: 0 0 12px; }
.notice.error { border-color: var(--bad); } .notice.ok { border-color: var(--ok); }
.consequence { font-size: 1.1rem; font-weight: 600; }
.small { font-size: .82rem; }
table.calendar { table-layout: fixed; }
table.calendar td { height: 6.5rem; padding: 4px; border: 1px solid var(--line); }
table.calendar.cal-week td { height: 16rem; }
table.calendar td.out { background: var(--bg); color: var(--muted); }
table.calendar td.today { box-shadow: inset 0 0 0 2px var(--busy); }
table.calendar td.shaded { background: repeating-linear-gradient(135deg, transparent, transparent 6px, rgba(127,127,127,.16) 6px, rgba(127,127,127,.16) 12px); }
table.calendar .day { font-weight: 600; }
table.calendar p { margin: 2px 0; }
.blackout { color: var(--warn); } .tzchange { color: var(--busy); }
ul.occs { list-style: none; margin: 2px 0 0; padding: 0; display: grid; gap: 3px; }
ul.occs li { border-left: 4px solid var(--busy); padding: 1px 4px; background: var(--bg); border-radius: 3px; font-size: .85rem; overflow-wrap: anywhere; }
ul.occs li a { text-decoration: none; display: block; } ul.occs li .t { font-variant-numeric: tabular-nums; }
ul.occs li.blacked { border-left-color: var(--idle); opacity: .8; } ul.occs li.blacked a strong { text-decoration: line-through; }
ul.occs li.conflict { border-left-color: var(--bad); } .flag { color: var(--bad); font-weight: 600; font-size: .82rem; }
.calendar-head { display: flex; gap: 16px; align-items: end; flex-wrap: wrap; } .calendar-head h1 { margin-right: auto; }
.controls a[aria-current="true"] { font-weight: 700; box-shadow: inset 0 -3px 0 var(--busy); }
.status.s-scheduled, .status.s-in-progress { color: var(--busy); } .status.s-cancelled, .status.s-missed { color: var(--bad); }
.pill { display: inline-block; padding: 0 7px; border-radius: 9px; border: 1px solid currentColor; font-size: .82rem; font-weight: 600; white-space: nowrap; }
.pill.p-ok { color: var(--ok); } .pill.p-bad { color: var(--bad); } .pill.p-warn { color: var(--warn); } .pill.p-idle { color: var(--idle); }
td.num { font-variant-numeric: tabular-nums; }
tr.uptime-row td { border-bottom: 2px solid var(--line); padding-top: 0; }
ol.uptime { list-style: none; margin: 0; padding: 0; display: flex; gap: 1px; height: 26px; }
ol.uptime li.d { flex: 1 1 0; min-width: 2px; border-radius: 1px; background: var(--line); }
ol.uptime li.d-up { background: var(--ok); } ol.uptime li.d-degraded { background: var(--busy); }
ol.uptime li.d-partial { background: var(--warn); } ol.uptime li.d-down { background: var(--bad); }
.uptime-legend { display: flex; justify-content: space-between; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 14px; }
`;

/** Polls the page's live region (data-live: the URL of its fragment) every 2 s while the tab is visible. */
export const CONSOLE_JS = `
(function () {
  // The calendar without ?tz=: shown again in the browser's timezone.
  var auto = document.querySelector('[data-tz-auto]');
  if (auto && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && zone !== auto.getAttribute('data-tz-auto')) {
      var u = new URL(location.href);
      u.searchParams.set('tz', zone);
      location.replace(u.toString());
      return;
    }
  }
  var region = document.querySelector('[data-live]');
  if (!region) return;
  var url = region.getAttribute('data-live');
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { if (r.status === 401) { location.reload(); return null; } return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text !== null && text !== region.innerHTML) {
          // Keeps keyboard focus on the control it was on, when that control is still there.
          var focused = document.activeElement && document.activeElement.id;
          region.innerHTML = text;
          if (focused) { var again = document.getElementById(focused); if (again) again.focus(); }
          region.setAttribute('data-refreshed', new Date().toISOString());
        }
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(refresh, 2000);
})();
`;
