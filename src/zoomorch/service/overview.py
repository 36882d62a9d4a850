"""The conference overview: ``GET /overview?token=…``, one page listing every event the service
runs (or the events an overview link names), and ``GET /overview/state``, its JSON snapshot
(:mod:`zoomorch.board.overview`), which the page asks for every second.

Both need an **overview** link (``zoomorch overview-link``; role ``overview``, the same signed
JWT and key as the board links). A board link is refused here, and an overview link is refused
by every board and by the event API: it grants no board by itself. Instead each row of the
snapshot carries a link to the event's board with a *viewer* token minted for it, for that one
event, that expires with the overview link (and is the same token on every answer, so the
page's links do not change every second). Whoever holds the overview link may watch every
board it lists, and control none.

The page hands its link to the JSON endpoint in an HttpOnly, SameSite=Strict cookie scoped to
``/overview``, like the board does with its stream, and is served with the board's
Content-Security-Policy (a nonce per response): it loads nothing from anywhere. Times are shown
in the viewer's zone (the browser's, via ``Intl``), on a 24-hour clock.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from zoomorch.board.overview import overview_state
from zoomorch.board.page import LOCALES
from zoomorch.board.tokens import OVERVIEW, BoardAuthError, BoardGrant, unverified_language
from zoomorch.service.context import ServiceContext, service_context

router = APIRouter()

OVERVIEW_COOKIE = "zoomorch_overview"
_CACHE_SECONDS = 0.3  # one snapshot shared by every overview asking within this long

WORDS: dict[str, dict[str, str]] = {
    "en": {"heading": "Conference overview", "event": "Event", "time": "Start",
           "phase": "Phase", "segment": "Now", "delay": "Delay", "next_cue": "Next cue",
           "board": "Board", "open": "open board", "zone": "Times in {zone}",
           "before": "before", "late": "late", "live": "live", "overrun": "overrun",
           "ended": "ended", "behind": "{t} behind", "spare": "{t} to spare",
           "on_time": "on time", "none": "—", "lost": "reconnecting…", "updated": "live",
           "expired": "This overview link has expired: ask the host for a new one.",
           "err_heading": "Conference overview",
           "missing": "This page needs an overview link: ask the host for one "
                      "(zoomorch overview-link).",
           "not_overview": "This is a board link, not an overview link: ask the host for an "
                           "overview link (zoomorch overview-link).",
           "invalid": "This overview link is not valid (incomplete, altered, or signed with "
                      "another key): ask the host for a new one.",
           "too_long": "This overview link was made to last more than 7 days, which is not "
                       "allowed: ask the host for a new one."},
    "es": {"heading": "Resumen de la conferencia", "event": "Evento", "time": "Inicio",
           "phase": "Fase", "segment": "Ahora", "delay": "Retraso",
           "next_cue": "Próximo aviso", "board": "Tablero", "open": "abrir tablero",
           "zone": "Horas en {zone}", "before": "antes", "late": "sin empezar",
           "live": "en vivo", "overrun": "fuera de tiempo", "ended": "terminado",
           "behind": "{t} de retraso", "spare": "{t} de margen", "on_time": "a tiempo",
           "none": "—", "lost": "reconectando…", "updated": "en vivo",
           "expired": "Este enlace del resumen ha caducado: pida uno nuevo al anfitrión.",
           "err_heading": "Resumen de la conferencia",
           "missing": "Esta página necesita un enlace de resumen: pídalo al anfitrión "
                      "(zoomorch overview-link).",
           "not_overview": "Este es un enlace de tablero, no de resumen: pida al anfitrión un "
                           "enlace de resumen (zoomorch overview-link).",
           "invalid": "Este enlace del resumen no es válido (incompleto, alterado o firmado "
                      "con otra clave): pida uno nuevo al anfitrión.",
           "too_long": "Este enlace del resumen se hizo para durar más de 7 días, lo que no "
                       "está permitido: pida uno nuevo al anfitrión."},
    "fr": {"heading": "Vue d'ensemble de la conférence", "event": "Événement",
           "time": "Début", "phase": "Phase", "segment": "En cours", "delay": "Retard",
           "next_cue": "Prochain signal", "board": "Tableau", "open": "ouvrir le tableau",
           "zone": "Heures en {zone}", "before": "avant", "late": "pas commencé",
           "live": "en direct", "overrun": "dépassement", "ended": "terminé",
           "behind": "{t} de retard", "spare": "{t} d'avance", "on_time": "à l'heure",
           "none": "—", "lost": "reconnexion…", "updated": "en direct",
           "expired": "Ce lien de vue d'ensemble a expiré : demandez-en un nouveau à "
                      "l'organisateur.",
           "err_heading": "Vue d'ensemble de la conférence",
           "missing": "Cette page demande un lien de vue d'ensemble : demandez-le à "
                      "l'organisateur (zoomorch overview-link).",
           "not_overview": "Ceci est un lien de tableau, pas de vue d'ensemble : demandez à "
                           "l'organisateur un lien de vue d'ensemble (zoomorch overview-link).",
           "invalid": "Ce lien de vue d'ensemble n'est pas valide (incomplet, modifié ou signé "
                      "avec une autre clé) : demandez-en un nouveau à l'organisateur.",
           "too_long": "Ce lien de vue d'ensemble a été fait pour durer plus de 7 jours, ce "
                       "qui n'est pas permis : demandez-en un nouveau à l'organisateur."},
    "de": {"heading": "Konferenzübersicht", "event": "Veranstaltung", "time": "Beginn",
           "phase": "Phase", "segment": "Jetzt", "delay": "Verzug",
           "next_cue": "Nächster Hinweis", "board": "Tafel", "open": "Tafel öffnen",
           "zone": "Zeiten in {zone}", "before": "vorher", "late": "nicht begonnen",
           "live": "live", "overrun": "überzogen", "ended": "beendet",
           "behind": "{t} im Verzug", "spare": "{t} Reserve", "on_time": "pünktlich",
           "none": "—", "lost": "verbinde neu…", "updated": "live",
           "expired": "Dieser Übersichtslink ist abgelaufen: Bitten Sie den Host um einen "
                      "neuen.",
           "err_heading": "Konferenzübersicht",
           "missing": "Diese Seite braucht einen Übersichtslink: Bitten Sie den Host darum "
                      "(zoomorch overview-link).",
           "not_overview": "Dies ist ein Tafel-Link, kein Übersichtslink: Bitten Sie den Host "
                           "um einen Übersichtslink (zoomorch overview-link).",
           "invalid": "Dieser Übersichtslink ist ungültig (unvollständig, verändert oder mit "
                      "einem anderen Schlüssel signiert): Bitten Sie den Host um einen neuen.",
           "too_long": "Dieser Übersichtslink sollte länger als 7 Tage gelten, was nicht "
                       "erlaubt ist: Bitten Sie den Host um einen neuen."},
}


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token") or request.cookies.get(OVERVIEW_COOKIE)


def _grant(request: Request) -> BoardGrant:
    return service_context(request).tokens.verify(_token(request), None, OVERVIEW)


def _language(request: Request, g: BoardGrant | None = None) -> str:
    asked = request.query_params.get("lang", "")
    if asked in WORDS:
        return asked
    own = g.language if g is not None else unverified_language(_token(request))
    if own in WORDS:
        return str(own)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in WORDS:
            return tag
    return "en"


def _headers(nonce: str) -> dict[str, str]:
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy":
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'"}


def _reason_key(exc: BoardAuthError) -> str:
    if exc.reason in ("missing", "expired", "not_overview", "too_long"):
        return exc.reason
    if exc.reason == "overview_only":  # cannot happen here; said plainly anyway
        return "invalid"
    return "invalid" if exc.reason in ("invalid", "other_key") else "missing"


def _error_page(exc: BoardAuthError, language: str, nonce: str) -> str:
    words = WORDS[language]
    reason = _reason_key(exc)
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<title>{html.escape(words["err_heading"])}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<style nonce="{nonce}">body{{font-family:system-ui,sans-serif;background:#111;'
            'color:#f4f4f4;padding:2rem;max-width:46rem;line-height:1.5}</style></head><body>'
            f'<h1>{html.escape(words["err_heading"])}</h1>'
            f'<p id="error" data-reason="{html.escape(exc.reason)}">'
            f'{html.escape(words[reason])}</p></body></html>')


def _cached_state(ctx: ServiceContext, app_state: Any, slugs: tuple[str, ...],
                  language: str) -> dict[str, Any]:
    cache: dict[tuple[tuple[str, ...], str], tuple[float, dict[str, Any]]] = getattr(
        app_state, "overview_cache", None) or {}
    app_state.overview_cache = cache
    key = (slugs, language)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    state = overview_state(ctx.store, [ctx.agendas[s] for s in slugs], language=language)
    cache[key] = (time.monotonic(), state)
    return state


def _slugs(ctx: ServiceContext, g: BoardGrant) -> tuple[str, ...]:
    if g.events is None:
        return tuple(ctx.agendas)
    return tuple(s for s in ctx.agendas if s in g.events)


@router.get("/overview")
async def overview_page(request: Request) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    try:
        g = _grant(request)
    except BoardAuthError as exc:
        return HTMLResponse(_error_page(exc, _language(request), nonce),
                            status_code=exc.status, headers=_headers(nonce))
    language = _language(request, g)
    page = HTMLResponse(_page(language, nonce), headers=_headers(nonce))
    token = _token(request)
    assert token is not None  # the grant verified it
    page.set_cookie(OVERVIEW_COOKIE, token, path="/overview",
                    max_age=max(1, int((g.expires - datetime.now(UTC)).total_seconds())),
                    httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return page


@router.get("/overview/state")
async def overview_json(request: Request) -> JSONResponse:
    """The overview snapshot; 401/403 without an overview link (a board link is refused)."""
    ctx = service_context(request)
    try:
        g = _grant(request)
    except BoardAuthError as exc:
        return JSONResponse({"error": str(exc), "reason": exc.reason}, status_code=exc.status,
                            headers={"Cache-Control": "no-store"})
    language = _language(request, g)
    state = await run_in_threadpool(_cached_state, ctx, request.app.state, _slugs(ctx, g),
                                    language)
    issued = g.issued or datetime.now(UTC)
    lifetime = g.expires - issued
    rows = [{**row, "board": f"/board/{row['event']}?token="
             + ctx.tokens.issue(row["event"], "viewer", lifetime, language=language,
                                now=issued)}
            for row in state["events"]]
    return JSONResponse({**state, "events": rows, "expires": g.expires.isoformat()},
                        headers={"Cache-Control": "no-store"})


def _page(language: str, nonce: str) -> str:
    words = WORDS[language]
    return (_PAGE.replace("__NONCE__", nonce).replace("__LANG__", language)
            .replace("__HEADING__", html.escape(words["heading"]))
            .replace("__WORDS__", json.dumps(words, ensure_ascii=False).replace("</", "<\\/"))
            .replace("__LOCALE__", json.dumps(LOCALES.get(language, "en-GB")))  # type: ignore[call-overload]
            .replace("__TH__", "".join(
                f"<th>{html.escape(words[k])}</th>" for k in
                ("event", "time", "phase", "segment", "delay", "next_cue", "board"))))


_PAGE = r"""<!doctype html>
<html lang="__LANG__"><head><meta charset="utf-8"><title>__HEADING__</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="__NONCE__">
body{font-family:system-ui,sans-serif;background:#111111;color:#f4f4f4;margin:0;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .3rem} #meta{color:#c8c8c8;margin-bottom:1rem}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.5rem .6rem;
border-bottom:1px solid #333;vertical-align:top} th{color:#c8c8c8;font-weight:600}
.phase{font-weight:700;padding:.1rem .5rem;border-radius:.3rem}
.p-before{background:#2a2a2a} .p-late{background:#8a5a00} .p-live{background:#1f6f3a}
.p-overrun{background:#a61b1b} .p-ended{background:#444}
a{color:#9ecbff} .small{color:#c8c8c8;font-size:.9em} #conn.lost{color:#ffb4b4}
</style></head><body>
<h1>__HEADING__</h1><div id="meta"><span id="zone"></span> · <span id="conn">…</span></div>
<table><thead><tr>__TH__</tr></thead><tbody id="rows"></tbody></table>
<script nonce="__NONCE__">
(function () {
  const W = __WORDS__, LOCALE = __LOCALE__;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const hm = new Intl.DateTimeFormat(LOCALE, {hour: "2-digit", minute: "2-digit",
                                              hourCycle: "h23"});
  const day = new Intl.DateTimeFormat(LOCALE, {weekday: "short", day: "numeric",
                                               month: "short"});
  document.getElementById("zone").textContent = W.zone.replace("{zone}", zone);
  if (location.search.indexOf("token=") >= 0) {  // the cookie carries it from now on
    const lang = new URLSearchParams(location.search).get("lang");
    history.replaceState(null, "", location.pathname + (lang ? "?lang=" + lang : ""));
  }
  const query = new URLSearchParams(location.search).get("lang");
  const url = "/overview/state" + (query ? "?lang=" + encodeURIComponent(query) : "");
  const time = (iso) => {
    if (!iso) return W.none;
    const at = new Date(iso);
    const today = day.format(at) === day.format(new Date());
    return (today ? "" : day.format(at) + " ") + hm.format(at);
  };
  const mmss = (s) => {
    s = Math.floor(Math.abs(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? h + ":" + pad(m) + ":" + pad(r) : m + ":" + pad(r);
  };
  const delay = (s) => s === null || s === undefined ? W.none
    : s >= 1 ? W.behind.replace("{t}", mmss(s)) : s <= -1 ? W.spare.replace("{t}", mmss(s))
    : W.on_time;
  const cell = (tr, text, cls) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  };
  function render(state) {
    const body = document.getElementById("rows");
    const rows = [];
    for (const e of state.events) {
      const tr = document.createElement("tr");
      tr.id = "row-" + e.event;
      tr.dataset.phase = e.phase;
      tr.dataset.revision = e.revision;
      const name = cell(tr, e.title, "title");
      const key = document.createElement("div");
      key.className = "small"; key.textContent = e.event; name.appendChild(key);
      cell(tr, time(e.actual_start || e.scheduled_start), "time");
      const ph = cell(tr, "", "");
      const badge = document.createElement("span");
      badge.className = "phase p-" + e.phase; badge.textContent = W[e.phase] || e.phase;
      ph.appendChild(badge);
      cell(tr, e.current ? e.current.title : W.none, "segment");
      cell(tr, delay(e.behind_seconds), "delay");
      const nc = cell(tr, e.next_cue ? time(e.next_cue.due) + " · " + e.next_cue.text
                          : W.none, "next-cue");
      if (e.next_cue) nc.dataset.kind = e.next_cue.kind;
      const b = cell(tr, "", "");
      const a = document.createElement("a");
      a.href = e.board; a.textContent = W.open; a.rel = "noreferrer"; a.target = "_blank";
      b.appendChild(a);
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    document.body.dataset.now = state.now;
  }
  const conn = document.getElementById("conn");
  let stopped = false;
  async function poll() {
    if (stopped) return;
    try {
      const answer = await fetch(url, {credentials: "same-origin", cache: "no-store"});
      if (answer.status === 401 || answer.status === 403) {
        const why = await answer.json().catch(() => ({}));
        conn.className = "lost";
        conn.textContent = why.reason === "expired" ? W.expired : (W[why.reason] || W.invalid);
        document.body.dataset.refused = why.reason || "refused";
        stopped = true;
        return;
      }
      if (!answer.ok) throw new Error(String(answer.status));
      render(await answer.json());
      conn.className = "live"; conn.textContent = W.updated;
    } catch (err) {
      conn.className = "lost"; conn.textContent = W.lost;
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
</script>
</body></html>
"""
