"""The cue board page: one self-contained HTML document (inline CSS and JS, no CDN).

The page reads its signed link from its own URL, opens the server-sent event stream and counts
down locally between snapshots, correcting for the offset between the browser's and the
server's clocks. Every text from the server is set with ``textContent``, never as HTML.
"""

from __future__ import annotations

import html
import json

from zoomorch.cues.model import LANGUAGES, Language

# The board's own words in each cue language (the cues themselves come translated from the
# server); the board's language is its link's, else English.
BOARD_WORDS: dict[Language, dict[str, str]] = {
    "en": {"now": "Now", "next": "Next", "latest": "Latest cues", "until": "until",
           "starts": "Starts in", "before": "Before the start", "after": "Agenda finished",
           "ended": "Webinar ended", "late": "Not started yet", "start": "Start now ▶",
           "next_btn": "Next segment ▶", "over": "over time", "live": "live",
           "lost": "reconnecting…", "expired": "link expired", "behind": "{t} behind",
           "spare": "{t} to spare", "budget": "Until the hard stop"},
    "es": {"now": "Ahora", "next": "Sigue", "latest": "Últimos avisos", "until": "hasta las",
           "starts": "Empieza en", "before": "Antes del inicio", "after": "Agenda terminada",
           "ended": "Webinar terminado", "late": "Aún no ha empezado",
           "start": "Empezar ahora ▶", "next_btn": "Siguiente segmento ▶",
           "over": "fuera de tiempo", "live": "en vivo", "lost": "reconectando…",
           "expired": "enlace caducado", "behind": "{t} de retraso", "spare": "{t} de margen",
           "budget": "Hasta el cierre obligatorio"},
    "fr": {"now": "Maintenant", "next": "Ensuite", "latest": "Derniers signaux",
           "until": "jusqu'à", "starts": "Début dans", "before": "Avant le début",
           "after": "Programme terminé", "ended": "Webinaire terminé",
           "late": "Pas encore commencé", "start": "Commencer ▶",
           "next_btn": "Segment suivant ▶", "over": "de dépassement", "live": "en direct",
           "lost": "reconnexion…", "expired": "lien expiré", "behind": "{t} de retard",
           "spare": "{t} de marge", "budget": "Jusqu'à l'arrêt impératif"},
    "de": {"now": "Jetzt", "next": "Danach", "latest": "Letzte Hinweise", "until": "bis",
           "starts": "Beginn in", "before": "Vor dem Beginn", "after": "Programm beendet",
           "ended": "Webinar beendet", "late": "Noch nicht begonnen",
           "start": "Jetzt starten ▶", "next_btn": "Nächster Abschnitt ▶",
           "over": "überzogen", "live": "live", "lost": "Verbindung wird aufgebaut…",
           "expired": "Link abgelaufen", "behind": "{t} im Verzug", "spare": "{t} Puffer",
           "budget": "Bis zum harten Stopp"},
}
if set(BOARD_WORDS) != set(LANGUAGES):
    raise RuntimeError(f"the board has words for {sorted(BOARD_WORDS)}, cues are written in "
                       f"{sorted(LANGUAGES)}: give zoomorch/board/page.py the same languages")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>__TITLE__ · cue board</title>
<style>
  :root { --bg:#111; --fg:#f4f4f4; --dim:#9a9a9a; }
  * { box-sizing: border-box; }
  body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background:var(--bg); color:var(--fg); }
  header { display:flex; justify-content:space-between; align-items:center; padding:.6rem 1rem;
           background:#1c1c1c; font-size:.95rem; gap:1rem; }
  header .title { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
  #conn { font-size:.8rem; padding:.15rem .5rem; border-radius:1rem; background:#444; }
  #conn.live { background:#1f6f3a; }
  #conn.lost { background:#8a1c1c; }
  main { padding:1rem; display:grid; gap:1rem; grid-template-columns: 2fr 1fr; }
  #now { grid-column: 1 / 2; border-radius:1rem; padding:1.2rem 1.5rem; background:#2a2a2a;
         transition: background .3s; }
  #now.green { background:#17692f; } #now.amber { background:#b7791f; }
  #now.red { background:#a61b1b; }
  #now.over { background:#a61b1b; animation: flash 1s steps(2, start) infinite; }
  @keyframes flash { to { background:#3a0000; } }
  .label { text-transform:uppercase; letter-spacing:.08em; font-size:.8rem; color:#ddd; }
  #current-title { font-size:2rem; font-weight:600; margin:.3rem 0; }
  #current-who { color:#eee; min-height:1.2em; }
  #countdown { font-variant-numeric: tabular-nums; font-size: min(22vw, 12rem); font-weight:700;
               line-height:1; margin:.5rem 0; }
  #side { display:flex; flex-direction:column; gap:1rem; }
  .card { background:#1e1e1e; border-radius:1rem; padding:1rem; }
  #next-title { font-size:1.3rem; font-weight:600; margin:.3rem 0; }
  #latest { list-style:none; padding:0; margin:.3rem 0 0; max-height:45vh; overflow:auto; }
  #latest li { padding:.35rem 0; border-bottom:1px solid #333; font-size:.95rem; }
  #latest .when { color:var(--dim); font-variant-numeric: tabular-nums; margin-right:.4rem; }
  #controls { display:none; gap:.5rem; flex-wrap:wrap; align-items:center; }
  body.controller #controls { display:flex; }
  button { font-size:1rem; padding:.55rem .9rem; border-radius:.5rem; border:0; cursor:pointer;
           background:#3d6ec9; color:white; }
  button:disabled { opacity:.5; cursor:wait; }
  input { font-size:1rem; width:5rem; padding:.5rem; border-radius:.5rem; border:0; }
  #message { color:#ffb4b4; min-height:1.2em; }
  #schedule { font-size:1.3rem; font-weight:600; min-height:1.3em; margin-top:.4rem; }
  #schedule.behind { color:#ffd0d0; }
  #budgets { list-style:none; padding:0; margin:.3rem 0 0; }
  #budgets li { display:flex; justify-content:space-between; gap:.5rem; padding:.2rem 0;
                font-variant-numeric: tabular-nums; }
  #budgets li.short .amount { color:#ffb4b4; font-weight:600; }
  #budgets li.current { font-weight:600; }
  #toast { position:fixed; bottom:1rem; left:50%; transform:translateX(-50%); background:#333;
           padding:.8rem 1.2rem; border-radius:.7rem; font-size:1.2rem; display:none; }
  @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body class="__ROLE__">
<header>
  <span class="title" id="event-title">__TITLE__</span>
  <span><span id="clock"></span> <span id="conn">…</span></span>
</header>
<main>
  <section id="now" class="idle" data-phase="">
    <div class="label" id="now-label">Now</div>
    <div id="current-title">—</div>
    <div id="current-who"></div>
    <div id="countdown">--:--</div>
    <div class="label" id="current-until"></div>
    <div id="schedule"></div>
  </section>
  <div id="side">
    <section class="card">
      <div class="label" id="next-label">Next</div>
      <div id="next-title">—</div>
      <div id="next-when" class="label"></div>
    </section>
    <section class="card" id="budget-card">
      <div class="label" id="budget-label">Until the hard stop</div>
      <ul id="budgets"></ul>
    </section>
    <section class="card" id="controls">
      <button id="btn-next" type="button">Next segment ▶</button>
      <input id="amount" value="+1m" aria-label="amount">
      <button id="btn-shift" type="button">Shift</button>
      <button id="btn-extend" type="button">Extend</button>
      <div id="message"></div>
    </section>
    <section class="card">
      <div class="label" id="latest-label">Latest cues</div>
      <ul id="latest"></ul>
    </section>
  </div>
</main>
<div id="toast"></div>
<script>
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  // Kept for the controller's buttons (an Authorization header); the stream gets the link
  // from the cookie this page came with, so the stream's URL never carries it.
  const token = params.get("token") || "";
  const LANG = __LANG__;
  const slug = decodeURIComponent(location.pathname.split("/")[2] || "");
  const WORDS = __WORDS__;
  let state = null, skew = 0, words = WORDS.en;
  const $ = (id) => document.getElementById(id);

  function parseTime(text) {
    if (!text) return NaN;
    // Python writes microseconds; not every browser parses more than milliseconds.
    return Date.parse(text.replace(/(\\.\\d{3})\\d+/, "$1"));
  }
  function serverNow() { return Date.now() + skew; }
  function clockText(ms) {
    return new Intl.DateTimeFormat(undefined, {hour: "2-digit", minute: "2-digit",
      second: "2-digit", timeZone: state ? state.zone : undefined}).format(new Date(ms));
  }
  function fmt(seconds) {
    const neg = seconds < 0, s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const body = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" +
                 String(r).padStart(2, "0");
    return (neg ? "+" : "") + body;
  }

  function render() {
    if (!state) return;
    words = WORDS[state.language] || WORDS.en;
    document.documentElement.lang = state.language;
    $("now-label").textContent = words.now;
    $("next-label").textContent = words.next;
    $("latest-label").textContent = words.latest;
    $("budget-label").textContent = words.budget;
    layBudgets();
    $("now").dataset.phase = state.phase;
    const cur = state.current;
    if (cur) {
      $("current-title").textContent = cur.title;
      const who = [cur.moderator, ...(cur.speakers || [])].filter(Boolean).join(" · ");
      $("current-who").textContent = who;
      $("current-until").textContent = words.until + " " + clockText(parseTime(cur.end));
    } else {
      $("current-title").textContent = state.phase === "ended" ? words.ended
        : state.phase === "before" ? words.before
        : state.phase === "late" ? words.late : words.after;
      $("current-who").textContent = "";
      $("current-until").textContent = "";
    }
    // Before any start, Next is the host saying "we are starting now".
    $("btn-next").textContent = !cur && !state.started &&
      (state.phase === "before" || state.phase === "late") ? words.start : words.next_btn;
    const nxt = state.next;
    $("next-title").textContent = nxt ? nxt.title : "—";
    $("next-when").textContent = nxt && nxt.start ? clockText(parseTime(nxt.start)) : "";
    const list = $("latest");
    list.replaceChildren();
    for (const cue of state.latest) {
      const li = document.createElement("li");
      li.dataset.kind = cue.kind;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = clockText(parseTime(cue.due));
      li.append(when, document.createTextNode(cue.text));
      list.append(li);
    }
    tick();
  }

  function tick() {
    $("clock").textContent = state ? clockText(serverNow()) : "";
    if (!state) return;
    const box = $("now"), cd = $("countdown");
    const cur = state.current;
    let cls = "idle";
    if (cur) {
      const left = (parseTime(cur.end) - serverNow()) / 1000 * state.speed;
      cd.textContent = fmt(left);
      cls = left < 0 ? "over" : left <= cur.red_seconds ? "red"
          : left <= cur.amber_seconds ? "amber" : "green";
    } else if (state.phase === "before") {
      const start = parseTime(state.actual_start || state.scheduled_start);
      cd.textContent = fmt(Math.max(0, (start - serverNow()) / 1000 * state.speed));
    } else if (state.phase === "late") {
      // How late, counting up from the scheduled start.
      const start = parseTime(state.scheduled_start);
      cd.textContent = fmt(Math.min(0, (start - serverNow()) / 1000 * state.speed));
      cls = "red";
    } else {
      cd.textContent = "--:--";
    }
    box.className = cls;
    box.dataset.state = cls;
    schedule();
  }

  // The delay against the hard stop (event seconds), counted up while it grows (a segment
  // running over, a webinar not started yet), and each remaining segment's budget. The rows
  // are laid out per snapshot (budgetRows); each tick only updates their amounts.
  let budgetRows = [];
  function growth() {
    const from = parseTime(state.behind_grows_from);
    return isNaN(from) ? 0 : Math.max(0, (serverNow() - from) / 1000 * state.speed);
  }
  function layBudgets() {
    budgetRows = [];
    const items = [];
    for (const seg of state.budgets || []) {
      const li = document.createElement("li");
      li.dataset.index = seg.index;
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = seg.title;
      const amount = document.createElement("span");
      amount.className = "amount";
      li.append(title, amount);
      items.push(li);
      budgetRows.push({seg, li, amount});
    }
    $("budgets").replaceChildren(...items);
  }
  function schedule() {
    const el = $("schedule");
    if (state.behind_seconds === null || state.behind_seconds === undefined) {
      el.textContent = ""; el.className = ""; el.dataset.seconds = "";
      return;
    }
    const g = growth(), behind = state.behind_seconds + g;
    const late = Math.round(behind) > 0;
    el.textContent = (late ? words.behind : words.spare).replace("{t}", fmt(Math.abs(behind)));
    el.className = late ? "behind" : "spare";
    el.dataset.seconds = String(Math.round(behind));
    for (const row of budgetRows) {
      const seg = row.seg;
      const budget = seg.room_seconds === null ? seg.budget_seconds
        : Math.max(0, Math.min(seg.planned_seconds, seg.room_seconds - g));
      row.li.className = (seg.current ? "current " : "") +
        (budget < seg.planned_seconds - 0.5 ? "short" : "");
      row.amount.textContent = fmt(budget) + " / " + fmt(seg.planned_seconds);
    }
  }

  function connect(withToken) {
    const query = new URLSearchParams({lang: params.get("lang") || LANG});
    // Only if the cookie did not work (cookies blocked): the link in the URL, as before.
    if (withToken && token) query.set("token", token);
    const source = new EventSource("/board/" + encodeURIComponent(slug) + "/stream?" + query);
    let opened = false;
    source.addEventListener("open", () => { opened = true; $("conn").className = "live";
                                            $("conn").textContent = words.live; });
    source.addEventListener("error", () => {
      $("conn").className = "lost";
      $("conn").textContent = words.lost;
      if (!opened && !withToken && token) { source.close(); connect(true); }
    });
    source.addEventListener("state", (e) => {
      state = JSON.parse(e.data);
      skew = parseTime(state.now) - Date.now();
      document.body.dataset.revision = state.revision;
      render();
    });
    source.addEventListener("cue", (e) => {
      const cue = JSON.parse(e.data), toast = $("toast");
      toast.textContent = cue.text;
      toast.style.display = "block";
      clearTimeout(toast._hide);
      toast._hide = setTimeout(() => { toast.style.display = "none"; }, 6000);
    });
    source.addEventListener("expired", () => {
      source.close();
      $("conn").className = "lost";
      $("conn").textContent = words.expired;
    });
  }

  async function control(action, body) {
    const buttons = document.querySelectorAll("#controls button");
    buttons.forEach((b) => { b.disabled = true; });
    $("message").textContent = "";
    try {
      const response = await fetch("/api/events/" + encodeURIComponent(slug) + "/" + action, {
        method: "POST",
        headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        body: JSON.stringify(body || {})
      });
      const data = await response.json();
      if (!response.ok) { $("message").textContent = data.error || response.statusText; return; }
      state = data;
      skew = parseTime(state.now) - Date.now();
      render();
    } catch (err) {
      $("message").textContent = String(err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }
  $("btn-next").addEventListener("click", () => control("next"));
  $("btn-shift").addEventListener("click", () => control("shift", {amount: $("amount").value}));
  $("btn-extend").addEventListener("click",
    () => control("extend", {amount: $("amount").value.replace(/^\\+/, "")}));

  connect(false);
  setInterval(tick, 250);
})();
</script>
</body>
</html>
"""

_ERROR = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cue board</title>
<style>body{font-family:system-ui,sans-serif;background:#111;color:#eee;padding:3rem;}</style>
</head><body><h1>Cue board</h1><p id="error">__MESSAGE__</p></body></html>
"""


def board_page(title: str, can_control: bool, language: str = "en") -> str:
    """The board page for one event in its link's language; controls are shown only to a
    controller."""
    # JSON inside <script>: no "</" may close the element early.
    words = json.dumps(BOARD_WORDS, ensure_ascii=False).replace("</", "<\\/")
    lang = language if language in BOARD_WORDS else "en"
    return (_PAGE.replace("__WORDS__", words).replace("__LANG__", json.dumps(lang))
            .replace("__ROLE__", "controller" if can_control else "viewer")
            .replace("__TITLE__", html.escape(title)))


def error_page(message: str) -> str:
    return _ERROR.replace("__MESSAGE__", html.escape(message))
