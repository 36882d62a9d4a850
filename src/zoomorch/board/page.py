"""The cue board page: one self-contained HTML document (inline CSS and JS, no CDN).

The page reads its signed link from its own URL, opens the server-sent event stream and counts
down locally between snapshots, correcting for the offset between the browser's and the
server's clocks. Every text from the server is set with ``textContent``, never as HTML.

Views: the board (``?view=board``, the default: countdown, next segment, latest cues, budgets,
and for a controller the live controls and the presenter messages) and the speaker view
(``?view=speaker``: a bare fullscreen countdown, the segment title small, the presenter's
message large, no controls; ``&bg=transparent`` for an OBS browser source).

Every word is the board's language's (:data:`BOARD_WORDS`), and so are times: 24-hour clocks
in every language (``hourCycle: "h23"``), like the cue texts, whatever the browser's locale.

Colours: each state's text and background are one pair of :data:`COLOURS`, all at least
4.5:1 (WCAG AA for normal text; ``tests/test_board_page.py`` checks every pair).
"""

from __future__ import annotations

import html
import json
from datetime import datetime

from zoomorch.board.tokens import BoardAuthError
from zoomorch.cues.model import LANGUAGES, Language

# The board's own words in each cue language (the cues themselves come translated from the
# server); the board's language is its link's (or the page's ?lang=), else English. Every
# string the page shows or speaks is here: labels, buttons, phases, errors, aria text.
BOARD_WORDS: dict[Language, dict[str, str]] = {
    "en": {"now": "Now", "next": "Next", "latest": "Latest cues", "until": "until",
           "until_one": "until", "starts": "Starts in", "before": "Before the start",
           "after": "Agenda finished", "ended": "Webinar ended", "late": "Not started yet",
           "start": "Start now ▶", "next_btn": "Next segment ▶", "over": "over time",
           "live": "live", "lost": "reconnecting…", "connecting": "connecting…",
           "expired": "link expired", "behind": "{t} behind", "spare": "{t} to spare",
           "budget": "Until the hard stop", "board": "cue board",
           "speaker_board": "speaker timer", "shift": "Shift", "extend": "Extend",
           "amount": "Amount, e.g. +3m, -1m, 90s", "controls": "Live control",
           "time_left": "Time left", "clock": "Time now", "conn_label": "Connection",
           "sound_on": "Sound on", "sound_is_on": "Sound is on",
           "sound_hint": "A chime at the warnings and another at time-up",
           "msg_heading": "Message for the speaker", "ack": "OK",
           "ack_aria": "OK, message seen", "acked": "seen {t}", "waiting": "not seen yet",
           "compose": "Send a message to the speaker", "wrap_up": "Please wrap up",
           "qa_next": "Q&A next", "msg_input": "Your message (up to 280 characters)",
           "send": "Send", "notify": "Also send to the moderator's channels",
           "recent": "Recent messages", "sent": "Message sent",
           "err_auth": "This link no longer works here: ask the host for a new one.",
           "err_expired": "This link has expired: ask the host for a new one.",
           "err_role": "This link can watch but not control.",
           "err_amount": "That amount did not work: write it like +3m, -1m or 90s "
                         "(Extend takes a positive amount).",
           "err_message": "The message was not sent: write 1 to 280 characters.",
           "err_gone": "That message is no longer there.",
           "err_network": "No connection to the service: try again.",
           "err_other": "The service answered {status}: try again.",
           "ann_now": "Now: {title}", "ann_timeup": "Time is up: {title}",
           "ann_warning": "{t} left: {title}",
           "ann_message": "Message for the speaker: {text}", "ann_acked": "Message seen"},
    "es": {"now": "Ahora", "next": "Sigue", "latest": "Últimos avisos", "until": "hasta las",
           "until_one": "hasta la", "starts": "Empieza en", "before": "Antes del inicio",
           "after": "Agenda terminada", "ended": "Webinar terminado",
           "late": "Aún no ha empezado", "start": "Empezar ahora ▶",
           "next_btn": "Siguiente segmento ▶", "over": "fuera de tiempo", "live": "en vivo",
           "lost": "reconectando…", "connecting": "conectando…",
           "expired": "enlace caducado", "behind": "{t} de retraso", "spare": "{t} de margen",
           "budget": "Hasta el cierre obligatorio", "board": "tablero de avisos",
           "speaker_board": "cronómetro de oradores", "shift": "Desplazar",
           "extend": "Prolongar", "amount": "Cantidad, p. ej. +3m, -1m, 90s",
           "controls": "Control en vivo", "time_left": "Tiempo restante",
           "clock": "Hora actual", "conn_label": "Conexión", "sound_on": "Activar sonido",
           "sound_is_on": "Sonido activado",
           "sound_hint": "Un aviso sonoro en las advertencias y otro al acabarse el tiempo",
           "msg_heading": "Mensaje para quien presenta", "ack": "OK",
           "ack_aria": "OK, mensaje visto", "acked": "visto {t}", "waiting": "aún no visto",
           "compose": "Enviar un mensaje a quien presenta",
           "wrap_up": "Por favor, vaya terminando", "qa_next": "Siguen preguntas y respuestas",
           "msg_input": "Su mensaje (hasta 280 caracteres)", "send": "Enviar",
           "notify": "Enviar también a los canales del moderador",
           "recent": "Mensajes recientes", "sent": "Mensaje enviado",
           "err_auth": "Este enlace ya no funciona aquí: pida uno nuevo al anfitrión.",
           "err_expired": "Este enlace ha caducado: pida uno nuevo al anfitrión.",
           "err_role": "Este enlace permite ver, no controlar.",
           "err_amount": "Esa cantidad no sirve: escríbala como +3m, -1m o 90s "
                         "(Prolongar necesita una cantidad positiva).",
           "err_message": "El mensaje no se envió: escriba de 1 a 280 caracteres.",
           "err_gone": "Ese mensaje ya no está.",
           "err_network": "Sin conexión con el servicio: inténtelo de nuevo.",
           "err_other": "El servicio respondió {status}: inténtelo de nuevo.",
           "ann_now": "Ahora: {title}", "ann_timeup": "Se acabó el tiempo: {title}",
           "ann_warning": "Quedan {t}: {title}",
           "ann_message": "Mensaje para quien presenta: {text}",
           "ann_acked": "Mensaje visto"},
    "fr": {"now": "Maintenant", "next": "Ensuite", "latest": "Derniers signaux",
           "until": "jusqu'à", "until_one": "jusqu'à", "starts": "Début dans",
           "before": "Avant le début", "after": "Programme terminé",
           "ended": "Webinaire terminé", "late": "Pas encore commencé",
           "start": "Commencer ▶", "next_btn": "Segment suivant ▶", "over": "de dépassement",
           "live": "en direct", "lost": "reconnexion…", "connecting": "connexion…",
           "expired": "lien expiré", "behind": "{t} de retard", "spare": "{t} de marge",
           "budget": "Jusqu'à l'arrêt impératif", "board": "tableau des signaux",
           "speaker_board": "minuteur de l'intervenant", "shift": "Décaler",
           "extend": "Prolonger", "amount": "Durée, p. ex. +3m, -1m, 90s",
           "controls": "Pilotage en direct", "time_left": "Temps restant",
           "clock": "Heure actuelle", "conn_label": "Connexion", "sound_on": "Activer le son",
           "sound_is_on": "Son activé",
           "sound_hint": "Un carillon aux avertissements et un autre à la fin du temps",
           "msg_heading": "Message pour l'intervenant", "ack": "OK",
           "ack_aria": "OK, message vu", "acked": "vu à {t}", "waiting": "pas encore vu",
           "compose": "Envoyer un message à l'intervenant", "wrap_up": "Merci de conclure",
           "qa_next": "Ensuite : questions-réponses",
           "msg_input": "Votre message (280 caractères au plus)", "send": "Envoyer",
           "notify": "Envoyer aussi sur les canaux du modérateur",
           "recent": "Messages récents", "sent": "Message envoyé",
           "err_auth": "Ce lien ne fonctionne plus ici : demandez-en un nouveau à l'hôte.",
           "err_expired": "Ce lien a expiré : demandez-en un nouveau à l'hôte.",
           "err_role": "Ce lien permet de suivre, pas de piloter.",
           "err_amount": "Cette durée ne convient pas : écrivez-la comme +3m, -1m ou 90s "
                         "(Prolonger demande une durée positive).",
           "err_message": "Le message n'a pas été envoyé : écrivez de 1 à 280 caractères.",
           "err_gone": "Ce message n'existe plus.",
           "err_network": "Pas de connexion au service : réessayez.",
           "err_other": "Le service a répondu {status} : réessayez.",
           "ann_now": "Maintenant : {title}", "ann_timeup": "Temps écoulé : {title}",
           "ann_warning": "Il reste {t} : {title}",
           "ann_message": "Message pour l'intervenant : {text}", "ann_acked": "Message vu"},
    "de": {"now": "Jetzt", "next": "Danach", "latest": "Letzte Hinweise", "until": "bis",
           "until_one": "bis", "starts": "Beginn in", "before": "Vor dem Beginn",
           "after": "Programm beendet", "ended": "Webinar beendet",
           "late": "Noch nicht begonnen", "start": "Jetzt starten ▶",
           "next_btn": "Nächster Abschnitt ▶", "over": "überzogen", "live": "live",
           "lost": "Verbindung wird aufgebaut…", "connecting": "Verbindung…",
           "expired": "Link abgelaufen", "behind": "{t} im Verzug", "spare": "{t} Puffer",
           "budget": "Bis zum harten Stopp", "board": "Hinweistafel",
           "speaker_board": "Redner-Timer", "shift": "Verschieben", "extend": "Verlängern",
           "amount": "Dauer, z. B. +3m, -1m, 90s", "controls": "Live-Steuerung",
           "time_left": "Verbleibende Zeit", "clock": "Aktuelle Uhrzeit",
           "conn_label": "Verbindung", "sound_on": "Ton an", "sound_is_on": "Ton ist an",
           "sound_hint": "Ein Signalton bei den Warnungen und ein anderer bei Zeitablauf",
           "msg_heading": "Nachricht an die Vortragenden", "ack": "OK",
           "ack_aria": "OK, Nachricht gesehen", "acked": "gesehen {t}",
           "waiting": "noch nicht gesehen", "compose": "Nachricht an die Vortragenden senden",
           "wrap_up": "Bitte zum Schluss kommen", "qa_next": "Als Nächstes: Fragen und Antworten",
           "msg_input": "Ihre Nachricht (bis zu 280 Zeichen)", "send": "Senden",
           "notify": "Auch an die Kanäle der Moderation senden",
           "recent": "Letzte Nachrichten", "sent": "Nachricht gesendet",
           "err_auth": "Dieser Link funktioniert hier nicht mehr: bitten Sie den Host um "
                       "einen neuen.",
           "err_expired": "Dieser Link ist abgelaufen: bitten Sie den Host um einen neuen.",
           "err_role": "Mit diesem Link kann man zusehen, aber nicht steuern.",
           "err_amount": "Diese Dauer geht nicht: schreiben Sie z. B. +3m, -1m oder 90s "
                         "(Verlängern braucht eine positive Dauer).",
           "err_message": "Die Nachricht wurde nicht gesendet: schreiben Sie 1 bis 280 "
                          "Zeichen.",
           "err_gone": "Diese Nachricht gibt es nicht mehr.",
           "err_network": "Keine Verbindung zum Dienst: bitte erneut versuchen.",
           "err_other": "Der Dienst antwortete {status}: bitte erneut versuchen.",
           "ann_now": "Jetzt: {title}", "ann_timeup": "Die Zeit ist um: {title}",
           "ann_warning": "Noch {t}: {title}",
           "ann_message": "Nachricht an die Vortragenden: {text}",
           "ann_acked": "Nachricht gesehen"},
}

# The error page's words (a link refused: :attr:`BoardAuthError.reason`).
ERROR_WORDS: dict[Language, dict[str, str]] = {
    "en": {"heading": "Cue board",
           "missing": "This page needs a board link: ask the host for one "
                      "(zoomorch board-link EVENT).",
           "other_key": "This board link is not valid here: it was signed with board key "
                        "{link}, and this service uses key {service}.",
           "other_key_fix": "Make a new link with `zoomorch board-link` where the service "
                            "runs, with the same ZOOMORCH_STATE_DIR or ZOOMORCH_BOARD_SECRET.",
           "unknown_key": "(none: a link from an older zoomorch)",
           "invalid": "This board link is not valid (incomplete or altered): ask the host "
                      "for a new one.",
           "expired": "This board link has expired: ask the host for a new one.",
           "too_long": "This board link was made to last more than 7 days, which is no "
                       "longer allowed: ask the host for a new one.",
           "other_event": "This board link is for another event.",
           "view_only": "This board link can watch but not control.",
           "other": "This board cannot be shown: {message}"},
    "es": {"heading": "Tablero de avisos",
           "missing": "Esta página necesita un enlace de tablero: pídalo al anfitrión "
                      "(zoomorch board-link EVENTO).",
           "other_key": "Este enlace de tablero no es válido aquí: se firmó con la clave "
                        "{link} y este servicio usa la clave {service}.",
           "other_key_fix": "Cree un enlace nuevo con `zoomorch board-link` donde corre el "
                            "servicio, con el mismo ZOOMORCH_STATE_DIR o "
                            "ZOOMORCH_BOARD_SECRET.",
           "unknown_key": "(ninguna: un enlace de una versión anterior de zoomorch)",
           "invalid": "Este enlace de tablero no es válido (incompleto o alterado): pida "
                      "uno nuevo al anfitrión.",
           "expired": "Este enlace de tablero ha caducado: pida uno nuevo al anfitrión.",
           "too_long": "Este enlace se hizo para durar más de 7 días, lo que ya no se "
                       "permite: pida uno nuevo al anfitrión.",
           "other_event": "Este enlace de tablero es de otro evento.",
           "view_only": "Este enlace de tablero permite ver, no controlar.",
           "other": "No se puede mostrar este tablero: {message}"},
    "fr": {"heading": "Tableau des signaux",
           "missing": "Cette page demande un lien de tableau : demandez-le à l'hôte "
                      "(zoomorch board-link ÉVÉNEMENT).",
           "other_key": "Ce lien de tableau n'est pas valable ici : il a été signé avec la "
                        "clé {link}, et ce service utilise la clé {service}.",
           "other_key_fix": "Créez un nouveau lien avec `zoomorch board-link` là où tourne "
                            "le service, avec le même ZOOMORCH_STATE_DIR ou "
                            "ZOOMORCH_BOARD_SECRET.",
           "unknown_key": "(aucune : un lien d'une version antérieure de zoomorch)",
           "invalid": "Ce lien de tableau n'est pas valable (incomplet ou modifié) : "
                      "demandez-en un nouveau à l'hôte.",
           "expired": "Ce lien de tableau a expiré : demandez-en un nouveau à l'hôte.",
           "too_long": "Ce lien a été fait pour durer plus de 7 jours, ce qui n'est plus "
                       "permis : demandez-en un nouveau à l'hôte.",
           "other_event": "Ce lien de tableau est celui d'un autre événement.",
           "view_only": "Ce lien de tableau permet de suivre, pas de piloter.",
           "other": "Ce tableau ne peut pas être affiché : {message}"},
    "de": {"heading": "Hinweistafel",
           "missing": "Diese Seite braucht einen Tafel-Link: bitten Sie den Host darum "
                      "(zoomorch board-link EVENT).",
           "other_key": "Dieser Tafel-Link gilt hier nicht: er wurde mit dem Schlüssel "
                        "{link} signiert, dieser Dienst verwendet den Schlüssel {service}.",
           "other_key_fix": "Erstellen Sie einen neuen Link mit `zoomorch board-link` dort, "
                            "wo der Dienst läuft, mit demselben ZOOMORCH_STATE_DIR oder "
                            "ZOOMORCH_BOARD_SECRET.",
           "unknown_key": "(keiner: ein Link einer älteren zoomorch-Version)",
           "invalid": "Dieser Tafel-Link ist ungültig (unvollständig oder verändert): "
                      "bitten Sie den Host um einen neuen.",
           "expired": "Dieser Tafel-Link ist abgelaufen: bitten Sie den Host um einen neuen.",
           "too_long": "Dieser Link sollte länger als 7 Tage gelten, das ist nicht mehr "
                       "erlaubt: bitten Sie den Host um einen neuen.",
           "other_event": "Dieser Tafel-Link gehört zu einer anderen Veranstaltung.",
           "view_only": "Mit diesem Tafel-Link kann man zusehen, aber nicht steuern.",
           "other": "Diese Tafel kann nicht angezeigt werden: {message}"},
}
if set(BOARD_WORDS) != set(LANGUAGES) or set(ERROR_WORDS) != set(LANGUAGES):
    raise RuntimeError(f"the board has words for {sorted(BOARD_WORDS)}, cues are written in "
                       f"{sorted(LANGUAGES)}: give zoomorch/board/page.py the same languages")

# Each colour pair the page draws text with: name -> (background, text). Contrast (WCAG 2.x,
# relative luminance), all >= 4.5:1:
#   page      #111111 / #f4f4f4  17.2     dim       #1e1e1e / #a8a8a8   7.0
#   header    #1c1c1c / #f4f4f4  15.5     card      #1e1e1e / #f4f4f4  15.2
#   idle      #2a2a2a / #f4f4f4  13.1     green     #17692f / #ffffff   6.8
#   amber     #f0b429 / #111111  10.1     red       #a61b1b / #ffffff   7.5
#   over      #5c0000 / #ffffff  14.4     (the flash alternates red and over)
#   behind    #3a0000 / #ffd0d0  12.9     short     #1e1e1e / #ffb4b4   9.9
#   button    #2f5fb8 / #ffffff   6.1     live      #1f6f3a / #ffffff   6.2
#   lost      #8a1c1c / #ffffff   9.3     neutral   #444444 / #ffffff   9.7
#   message   #ffe066 / #111111  14.5     acked     #1e3a28 / #d6f5df  10.6
#   toast     #333333 / #f4f4f4  11.5     error     #1e1e1e / #ffb4b4   9.9
#   input     #f4f4f4 / #111111  17.2     ok button #111111 / #ffe066  14.5
COLOURS: dict[str, tuple[str, str]] = {
    "page": ("#111111", "#f4f4f4"), "dim": ("#1e1e1e", "#a8a8a8"),
    "header": ("#1c1c1c", "#f4f4f4"), "card": ("#1e1e1e", "#f4f4f4"),
    "idle": ("#2a2a2a", "#f4f4f4"), "green": ("#17692f", "#ffffff"),
    "amber": ("#f0b429", "#111111"), "red": ("#a61b1b", "#ffffff"),
    "over": ("#5c0000", "#ffffff"), "behind": ("#3a0000", "#ffd0d0"),
    "short": ("#1e1e1e", "#ffb4b4"), "button": ("#2f5fb8", "#ffffff"),
    "live": ("#1f6f3a", "#ffffff"), "lost": ("#8a1c1c", "#ffffff"),
    "neutral": ("#444444", "#ffffff"), "message": ("#ffe066", "#111111"),
    "acked": ("#1e3a28", "#d6f5df"), "toast": ("#333333", "#f4f4f4"),
    "error": ("#1e1e1e", "#ffb4b4"), "input": ("#f4f4f4", "#111111"),
    "ack": ("#111111", "#ffe066"),
}
# The 24-hour convention of each board language, for Intl.DateTimeFormat (with
# hourCycle "h23": English boards read 14:05:09 too, like the cue texts).
LOCALES: dict[Language, str] = {"en": "en-GB", "es": "es-ES", "fr": "fr-FR", "de": "de-DE"}
MESSAGE_MAX_CHARS = 280


def contrast(background: str, text: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                   for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(background), luminance(text)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _css_colours() -> str:
    return " ".join(f"--{name}-bg:{bg}; --{name}-fg:{fg};" for name, (bg, fg) in COLOURS.items())

_PAGE = r"""<!doctype html>
<html lang="__LANG_TAG__">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>__TITLE__ · {{board_name}}</title>
<style nonce="__NONCE__">
  :root { __COLOURS__ }
  * { box-sizing: border-box; }
  html, body { margin:0; background:var(--page-bg); color:var(--page-fg); }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  .sr-only { position:absolute; width:1px; height:1px; margin:-1px; padding:0; overflow:hidden;
             clip:rect(0 0 0 0); white-space:nowrap; border:0; }
  header { display:flex; justify-content:space-between; align-items:center; padding:.5rem 1rem;
           background:var(--header-bg); color:var(--header-fg); font-size:.95rem; gap:.6rem; }
  header .title { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; min-width:0; }
  header .tools { display:flex; align-items:center; gap:.5rem; flex-shrink:0; }
  #clock { font-variant-numeric: tabular-nums; }
  #conn { font-size:.8rem; padding:.15rem .5rem; border-radius:1rem;
          background:var(--neutral-bg); color:var(--neutral-fg); }
  #conn.live { background:var(--live-bg); color:var(--live-fg); }
  #conn.lost { background:var(--lost-bg); color:var(--lost-fg); }
  main { padding:1rem; display:grid; gap:1rem; grid-template-columns: 2fr 1fr; }
  #now { border-radius:1rem; padding:1.2rem 1.5rem; background:var(--idle-bg);
         color:var(--idle-fg); transition: background .3s; }
  #now.green { background:var(--green-bg); color:var(--green-fg); }
  #now.amber { background:var(--amber-bg); color:var(--amber-fg); }
  #now.red { background:var(--red-bg); color:var(--red-fg); }
  #now.over { background:var(--over-bg); color:var(--over-fg);
              animation: flash 1s steps(1, end) infinite; }
  @keyframes flash { 0% { background:var(--red-bg); } 50% { background:var(--over-bg); } }
  .label { text-transform:uppercase; letter-spacing:.08em; font-size:.8rem; }
  #current-title { font-size:2rem; font-weight:600; margin:.3rem 0; }
  #current-who { min-height:1.2em; }
  #countdown { font-variant-numeric: tabular-nums; font-size: min(22vw, 12rem); font-weight:700;
               line-height:1; margin:.5rem 0; }
  #over-label { display:none; font-weight:700; font-size:1.2rem; }
  #now.over #over-label { display:block; }
  #side { display:flex; flex-direction:column; gap:1rem; min-width:0; }
  .card { background:var(--card-bg); color:var(--card-fg); border-radius:1rem; padding:1rem; }
  #next-title { font-size:1.3rem; font-weight:600; margin:.3rem 0; }
  ul.plain { list-style:none; padding:0; margin:.3rem 0 0; }
  #latest { max-height:45vh; overflow:auto; }
  #latest li, #messages li { padding:.35rem 0; border-bottom:1px solid #333; font-size:.95rem; }
  .when { color:var(--dim-fg); font-variant-numeric: tabular-nums; margin-right:.4rem; }
  #controls, #compose { display:none; }
  body.controller #controls, body.controller #compose { display:block; }
  .row { display:flex; gap:.5rem; flex-wrap:wrap; align-items:center; margin:.4rem 0; }
  button { font-size:1rem; padding:.55rem .9rem; border-radius:.5rem; border:0; cursor:pointer;
           background:var(--button-bg); color:var(--button-fg); }
  button:disabled { cursor:wait; }
  button:focus-visible, input:focus-visible { outline:3px solid #ffe066; outline-offset:2px; }
  input[type=text] { font-size:1rem; padding:.5rem; border-radius:.5rem; border:0;
                     background:var(--input-bg); color:var(--input-fg); }
  #amount { width:6rem; }
  #msg-input { flex:1 1 12rem; min-width:0; }
  #sound { font-size:.85rem; padding:.3rem .6rem; background:var(--neutral-bg);
           color:var(--neutral-fg); }
  #sound[aria-pressed=true] { background:var(--live-bg); color:var(--live-fg); }
  .error { color:var(--error-fg); min-height:1.2em; }
  #msg-count { color:var(--dim-fg); font-variant-numeric: tabular-nums; font-size:.85rem; }
  #schedule { font-size:1.3rem; font-weight:600; min-height:1.3em; margin-top:.4rem; }
  #schedule.behind { display:inline-block; background:var(--behind-bg); color:var(--behind-fg);
                     padding:.1rem .5rem; border-radius:.4rem; }
  #budgets li { display:flex; justify-content:space-between; gap:.5rem; padding:.2rem 0;
                font-variant-numeric: tabular-nums; }
  #budgets li.short .amount { color:var(--short-fg); font-weight:600; }
  #budgets li.current { font-weight:600; }
  #messages li.acknowledged .status { color:var(--acked-fg); background:var(--acked-bg);
                                      padding:0 .3rem; border-radius:.3rem; }
  #messages li.waiting .status { color:var(--message-fg); background:var(--message-bg);
                                 padding:0 .3rem; border-radius:.3rem; }
  #msg { margin:1rem 1rem 0; border-radius:1rem; padding:.8rem 1.2rem;
         background:var(--message-bg); color:var(--message-fg);
         display:flex; gap:1rem; align-items:center; justify-content:space-between; }
  #msg[hidden] { display:none; }
  #msg-text { font-size:1.6rem; font-weight:700; margin:.2rem 0; overflow-wrap:anywhere; }
  #msg-ack { background:var(--ack-bg); color:var(--ack-fg); font-size:1.3rem; font-weight:700;
             padding:.6rem 1.4rem; }
  #toast { position:fixed; bottom:1rem; left:50%; transform:translateX(-50%);
           background:var(--toast-bg); color:var(--toast-fg); padding:.8rem 1.2rem;
           border-radius:.7rem; font-size:1.2rem; max-width:90vw; }
  #toast[hidden] { display:none; }
  /* A phase change: the whole page flashes once (a still outline with reduced motion). */
  #flash { position:fixed; inset:0; pointer-events:none; background:#ffffff; opacity:0; }
  body.changed #flash { animation: changed .9s ease-out 1; }
  @keyframes changed { 0% { opacity:.55; } 100% { opacity:0; } }

  @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
  /* Phones: the countdown, the next segment and the latest cue on the first screen. */
  @media (max-width: 600px) {
    header { padding:.4rem .6rem; font-size:.85rem; }
    main { padding:.5rem; gap:.5rem; }
    #now { padding:.7rem .9rem; }
    #current-title { font-size:1.25rem; margin:.1rem 0; }
    #current-who { font-size:.85rem; }
    #countdown { font-size:min(24vw, 6.5rem); margin:.2rem 0; }
    #schedule { font-size:1rem; margin-top:.2rem; }
    #side { gap:.5rem; }
    .card { padding:.6rem .8rem; }
    #next-card { order:1; } #latest-card { order:2; } #controls { order:3; }
    #compose { order:4; } #budget-card { order:5; }
    #latest { max-height:none; }
    #msg { margin:.5rem .5rem 0; padding:.5rem .8rem; }
    #msg-text { font-size:1.2rem; }
  }

  /* The speaker view: a bare fullscreen countdown, readable from 3 m. */
  body.view-speaker { height:100vh; overflow:hidden; display:flex; flex-direction:column; }
  /* Of the header, only the sound button (bottom right) and the connection once it is lost. */
  body.view-speaker header { position:fixed; right:.6rem; bottom:.6rem; padding:0; z-index:2;
                             background:transparent; }
  body.view-speaker header .title, body.view-speaker #clock,
  body.view-speaker #conn:not(.lost) { display:none; }
  html.bg-transparent body.view-speaker header { display:none; }
  body.view-speaker #side, body.view-speaker #schedule,
  body.view-speaker #current-who, body.view-speaker #now-label, body.view-speaker #toast,
  body.view-speaker #msg-ack, body.view-speaker #ack-error { display:none; }
  body.view-speaker main { display:flex; flex:1 1 auto; padding:0; min-height:0; }
  body.view-speaker #now { flex:1 1 auto; border-radius:0; display:flex; flex-direction:column;
                           align-items:center; justify-content:center; text-align:center;
                           padding:2vh 2vw; }
  body.view-speaker #current-title { font-size:min(5vw, 6vh); font-weight:600; }
  body.view-speaker #countdown { font-size:min(27vw, 58vh); margin:0; }
  body.view-speaker #countdown.long { font-size:min(18vw, 45vh); }
  body.view-speaker #over-label { font-size:min(5vw, 7vh); }
  body.view-speaker #current-until { font-size:min(2.5vw, 3vh); }
  body.view-speaker #msg { order:2; margin:0; border-radius:0; justify-content:center;
                           padding:2vh 3vw; }
  body.view-speaker #msg-text { font-size:min(6vw, 8vh); text-align:center; }
  body.view-speaker #msg-label { display:none; }
  /* An OBS browser source: nothing but the timer box on a transparent page. */
  html.bg-transparent, html.bg-transparent body { background:transparent; }
  html.bg-transparent body.view-speaker main { align-items:center; justify-content:center; }
  html.bg-transparent body.view-speaker #now { flex:0 0 auto; border-radius:2rem;
                                               padding:2vh 4vw; }
  html.bg-transparent body.view-speaker #msg { border-radius:1rem; margin:0 auto 2vh; }

  @media (prefers-reduced-motion: reduce) {
    #now { transition:none; }
    /* Over time without flashing: the darker red, a white frame and the words "over time". */
    #now.over { animation:none; background:var(--over-bg); outline:.5rem solid #ffffff;
                outline-offset:-.9rem; }
    body.changed #flash { animation:none; }
    body.changed #now { outline:.5rem solid #ffe066; outline-offset:-.9rem; }
  }
</style>
</head>
<body class="__ROLE__ view-__VIEW__">
<div id="flash" aria-hidden="true"></div>
<div id="announce-polite" class="sr-only" aria-live="polite" aria-atomic="true"></div>
<div id="announce-assertive" class="sr-only" aria-live="assertive" aria-atomic="true"></div>
<header>
  <span class="title" id="event-title">__TITLE__</span>
  <span class="tools">
    <span id="clock" aria-label="{{clock}}" data-w-aria="clock"></span>
    <button id="sound" type="button" aria-pressed="false" title="{{sound_hint}}"
            data-w-title="sound_hint"><span id="sound-label">{{sound_on}}</span></button>
    <span id="conn" role="status" aria-label="{{conn_label}}" data-w-aria="conn_label"
          >{{connecting}}</span>
  </span>
</header>
<section id="msg" hidden aria-labelledby="msg-label">
  <div>
    <div class="label" id="msg-label" data-w="msg_heading">{{msg_heading}}</div>
    <p id="msg-text"></p>
    <div id="msg-meta"></div>
    <div id="ack-error" class="error"></div>
  </div>
  <button id="msg-ack" type="button" aria-label="{{ack_aria}}" data-w="ack"
          data-w-aria="ack_aria">{{ack}}</button>
</section>
<main>
  <section id="now" class="idle" data-phase="" data-state="idle">
    <div class="label" id="now-label" data-w="now">{{now}}</div>
    <div id="current-title">—</div>
    <div id="current-who"></div>
    <div id="countdown" role="timer" aria-label="{{time_left}}" data-w-aria="time_left"
         >--:--</div>
    <div id="over-label" data-w="over">{{over}}</div>
    <div class="label" id="current-until"></div>
    <div id="schedule"></div>
  </section>
  <div id="side">
    <section class="card" id="next-card">
      <div class="label" id="next-label" data-w="next">{{next}}</div>
      <div id="next-title">—</div>
      <div id="next-when" class="label"></div>
    </section>
    <section class="card" id="controls" aria-label="{{controls}}" data-w-aria="controls">
      <div class="row">
        <button id="btn-next" type="button">{{next_btn}}</button>
      </div>
      <div class="row">
        <input id="amount" type="text" value="+1m" aria-label="{{amount}}"
               data-w-aria="amount" title="{{amount}}" data-w-title="amount">
        <button id="btn-shift" type="button" data-w="shift">{{shift}}</button>
        <button id="btn-extend" type="button" data-w="extend">{{extend}}</button>
      </div>
      <div id="control-error" class="error" role="alert"></div>
    </section>
    <section class="card" id="latest-card">
      <div class="label" id="latest-label" data-w="latest">{{latest}}</div>
      <ul id="latest" class="plain"></ul>
    </section>
    <section class="card" id="compose" aria-labelledby="compose-label">
      <div class="label" id="compose-label" data-w="compose">{{compose}}</div>
      <div class="row">
        <button id="msg-wrap" type="button" data-w="wrap_up">{{wrap_up}}</button>
        <button id="msg-qa" type="button" data-w="qa_next">{{qa_next}}</button>
      </div>
      <div class="row">
        <input id="msg-input" type="text" maxlength="__MAX__" aria-label="{{msg_input}}"
               placeholder="{{msg_input}}" data-w-aria="msg_input"
               data-w-placeholder="msg_input" aria-describedby="msg-count">
        <button id="msg-send" type="button" data-w="send">{{send}}</button>
      </div>
      <div class="row">
        <label><input id="msg-notify" type="checkbox">
          <span data-w="notify">{{notify}}</span></label>
        <span id="msg-count">0 / __MAX__</span>
      </div>
      <div id="compose-error" class="error" role="alert"></div>
      <div class="label" data-w="recent">{{recent}}</div>
      <ul id="messages" class="plain"></ul>
    </section>
    <section class="card" id="budget-card">
      <div class="label" id="budget-label" data-w="budget">{{budget}}</div>
      <ul id="budgets" class="plain"></ul>
    </section>
  </div>
</main>
<div id="toast" hidden aria-hidden="true"></div>
<script nonce="__NONCE__">
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  // Kept for the buttons (an Authorization header); the stream gets the link from the
  // cookie this page came with, so the stream's URL never carries it.
  const token = params.get("token") || "";
  const LANG = __LANG__;
  const VIEW = __VIEW_JSON__;
  const EXPIRES = Date.parse(__EXPIRES__);
  const MAX = __MAX__;
  const slug = decodeURIComponent(location.pathname.split("/")[2] || "");
  const WORDS = __WORDS__;
  const LOCALES = __LOCALES__;
  let state = null, skew = 0, lang = LANG, words = WORDS[LANG] || WORDS.en;
  const $ = (id) => document.getElementById(id);
  const say = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));

  // -- words ------------------------------------------------------------------------------
  function applyWords() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-w]")) el.textContent = words[el.dataset.w];
    for (const el of document.querySelectorAll("[data-w-aria]"))
      el.setAttribute("aria-label", words[el.dataset.wAria]);
    for (const el of document.querySelectorAll("[data-w-title]"))
      el.title = words[el.dataset.wTitle];
    for (const el of document.querySelectorAll("[data-w-placeholder]"))
      el.placeholder = words[el.dataset.wPlaceholder];
    soundLabel();
  }

  // -- time -------------------------------------------------------------------------------
  function parseTime(text) {
    if (!text) return NaN;
    // Python writes microseconds; not every browser parses more than milliseconds.
    return Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  }
  function serverNow() { return Date.now() + skew; }
  let clockFormat = null, clockKey = "";
  function clockText(ms) {
    // The board language's 24-hour clock in the event's zone, whatever the browser's locale.
    const zone = state ? state.zone : undefined, key = lang + "|" + zone;
    if (key !== clockKey) {
      clockFormat = new Intl.DateTimeFormat(LOCALES[lang] || "en-GB", {hour: "2-digit",
        minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: zone});
      clockKey = key;
    }
    return clockFormat.format(new Date(ms));
  }
  function untilText(ms) {
    const clock = clockText(ms);  // Spanish: "hasta la 01:05", "hasta las 02:05"
    return (clock.startsWith("01:") ? words.until_one : words.until) + " " + clock;
  }
  function fmt(seconds) {
    const neg = seconds < 0, s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const body = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" +
                 String(r).padStart(2, "0");
    return (neg ? "+" : "") + body;
  }

  // -- attention: announcements, the flash, chimes --------------------------------------
  function announce(text, urgent) {
    const el = $(urgent ? "announce-assertive" : "announce-polite");
    el.textContent = "";
    // A new text node after a tick, so that the same words are announced again.
    setTimeout(() => { el.textContent = text; }, 50);
  }
  function flash() {
    document.body.classList.remove("changed");
    void document.body.offsetWidth;  // restart the animation
    document.body.classList.add("changed");
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => document.body.classList.remove("changed"), 1500);
  }
  let audio = null, soundOn = false;
  function soundLabel() {
    $("sound-label").textContent = soundOn ? words.sound_is_on : words.sound_on;
    $("sound").setAttribute("aria-pressed", String(soundOn));
  }
  function startSound() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }
  $("sound").addEventListener("click", () => {
    // Browsers let a page play sound only after a gesture: this click.
    soundOn = !soundOn;
    if (soundOn) { startSound(); chime("test"); }
    soundLabel();
  });
  // &sound=on: where a page may play sound without a click (an OBS browser source), at once.
  if (params.get("sound") === "on") { soundOn = true; startSound(); }
  // Chimes made here (WebAudio, no files): two rising soft tones at a warning, three falling
  // louder ones at time-up, a bright double tone for a message.
  const CHIMES = {
    warning: {type: "sine", gain: 0.25, notes: [[660, 0, 0.35], [880, 0.22, 0.5]]},
    timeup: {type: "triangle", gain: 0.45, notes: [[988, 0, 0.4], [784, 0.3, 0.4],
                                                   [523, 0.6, 0.9]]},
    message: {type: "sine", gain: 0.3, notes: [[1175, 0, 0.18], [1175, 0.2, 0.3]]},
    test: {type: "sine", gain: 0.15, notes: [[880, 0, 0.15]]},
  };
  function chime(kind) {
    if (!soundOn || !audio) return;
    const spec = CHIMES[kind], t0 = audio.currentTime + 0.02;
    for (const [freq, at, length] of spec.notes) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = spec.type;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(spec.gain, t0 + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + length);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + length + 0.05);
    }
    const played = document.body.dataset.chimes;  // what played, for whoever checks
    document.body.dataset.chimes = played ? played + " " + kind : kind;
  }

  // -- the snapshot ---------------------------------------------------------------------
  let lastPhase = null, seenMessages = null;
  function render() {
    if (!state) return;
    if ((state.language || lang) !== lang && WORDS[state.language]) {
      lang = state.language;
      words = WORDS[lang];
      applyWords();
    }
    layBudgets();
    $("now").dataset.phase = state.phase;
    const cur = state.current;
    const phaseKey = state.phase + "|" + (cur ? cur.index : "");
    if (cur) {
      $("current-title").textContent = cur.title;
      const who = [cur.moderator, ...(cur.speakers || [])].filter(Boolean).join(" · ");
      $("current-who").textContent = who;
      $("current-until").textContent = untilText(parseTime(cur.end));
    } else {
      $("current-title").textContent = phaseWords();
      $("current-who").textContent = "";
      $("current-until").textContent = state.phase === "before" ? words.starts : "";
    }
    if (lastPhase !== null && phaseKey !== lastPhase) {
      flash();
      announce(cur ? say(words.ann_now, {title: cur.title}) : phaseWords(), false);
    }
    lastPhase = phaseKey;
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
      li.dataset.id = cue.id;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = clockText(parseTime(cue.due));
      li.append(when, document.createTextNode(cue.text));
      list.append(li);
    }
    renderMessages();
    showPendingToasts();
    tick();
  }
  function phaseWords() {
    return state.phase === "ended" ? words.ended : state.phase === "before" ? words.before
      : state.phase === "late" ? words.late : state.phase === "live" ? "—" : words.after;
  }

  // -- presenter messages -----------------------------------------------------------------
  function renderMessages() {
    const msg = state.message || null, box = $("msg");
    const waiting = msg && !msg.acknowledged;
    box.hidden = !waiting;
    if (waiting) {
      box.dataset.id = msg.id;
      $("msg-text").textContent = msg.text;
      $("msg-meta").textContent = clockText(parseTime(msg.at));
    } else {
      delete box.dataset.id;
    }
    const known = new Set((state.messages || []).map((m) => m.id));
    if (msg) known.add(msg.id);
    if (seenMessages !== null && waiting && !seenMessages.has(msg.id)) {
      // A new message: every board says so at once.
      flash();
      chime("message");
      announce(say(words.ann_message, {text: msg.text}), true);
    }
    seenMessages = known;
    const items = [];
    for (const m of state.messages || []) {
      const li = document.createElement("li");
      li.dataset.id = m.id;
      li.className = m.acknowledged ? "acknowledged" : "waiting";
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = clockText(parseTime(m.at));
      const status = document.createElement("span");
      status.className = "status";
      status.textContent = m.acknowledged
        ? "✓ " + say(words.acked, {t: clockText(parseTime(m.acknowledged_at))})
        : words.waiting;
      li.append(when, document.createTextNode(m.text + " "), status);
      items.push(li);
    }
    $("messages").replaceChildren(...items);
  }

  // -- the countdown ----------------------------------------------------------------------
  let lastCls = null, lastIndex = null;
  function tick() {
    $("clock").textContent = state ? clockText(serverNow()) : "";
    if (!state) return;
    const box = $("now"), cd = $("countdown");
    const cur = state.current;
    let cls = "idle", text = "--:--", left = null;
    if (cur) {
      left = (parseTime(cur.end) - serverNow()) / 1000 * state.speed;
      text = fmt(left);
      cls = left < 0 ? "over" : left <= cur.red_seconds ? "red"
          : left <= cur.amber_seconds ? "amber" : "green";
    } else if (state.phase === "before") {
      const start = parseTime(state.actual_start || state.scheduled_start);
      text = fmt(Math.max(0, (start - serverNow()) / 1000 * state.speed));
    } else if (state.phase === "late") {
      // How late, counting up from the scheduled start.
      const start = parseTime(state.scheduled_start);
      text = fmt(Math.min(0, (start - serverNow()) / 1000 * state.speed));
      cls = "red";
    }
    if (cd.textContent !== text) cd.textContent = text;
    cd.classList.toggle("long", text.length > 5);
    // Within one segment, crossing into amber or red is a warning, into over time is time-up.
    const index = cur ? cur.index : null;
    if (cur && index === lastIndex && cls !== lastCls) {
      if (cls === "over") {
        chime("timeup");
        announce(say(words.ann_timeup, {title: cur.title}), true);
      } else if ((cls === "amber" && lastCls === "green") ||
                 (cls === "red" && (lastCls === "amber" || lastCls === "green"))) {
        chime("warning");
        announce(say(words.ann_warning, {t: fmt(Math.max(0, left)), title: cur.title}), false);
      }
    }
    lastCls = cls;
    lastIndex = index;
    if (box.dataset.state !== cls) {
      box.className = cls;
      box.dataset.state = cls;
    }
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
    el.textContent = say(late ? words.behind : words.spare, {t: fmt(Math.abs(behind))});
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

  // -- cues as toasts -------------------------------------------------------------------
  // A cue comes in its first recipient's language; the snapshot sent with it lists the same
  // cue in the board's. Shown from the snapshot when it has it (the same write, a moment
  // later), as it came only when no snapshot names it.
  let pending = [];
  function toast(text) {
    const el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(el._hide);
    el._hide = setTimeout(() => { el.hidden = true; }, 6000);
  }
  function showCue(cue, text) {
    toast(text);
    announce(text, cue.kind === "time_up" || cue.kind === "hard_stop");
  }
  function showPendingToasts() {
    const byId = new Map((state.latest || []).map((c) => [c.id, c]));
    const still = [];
    for (const item of pending) {
      const listed = byId.get(item.cue.cue_id);
      if (listed) showCue(item.cue, listed.text);
      else if (Date.now() - item.at > 1500) {
        const own = (item.cue.texts || {})[lang];
        if (own) showCue(item.cue, own);
        else if (item.cue.language === lang) showCue(item.cue, item.cue.text);
      } else still.push(item);
    }
    pending = still;
  }

  // -- the stream -----------------------------------------------------------------------
  function connect(withToken) {
    const query = new URLSearchParams({lang: lang});
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
    source.addEventListener("state", (e) => adopt(JSON.parse(e.data)));
    source.addEventListener("cue", (e) => {
      const cue = JSON.parse(e.data);
      pending.push({cue, at: Date.now()});
      if (state && state.latest.some((c) => c.id === cue.cue_id)) showPendingToasts();
      else setTimeout(() => { if (state) showPendingToasts(); }, 1600);
    });
    source.addEventListener("expired", () => {
      source.close();
      $("conn").className = "lost";
      $("conn").textContent = words.expired;
    });
  }
  function adopt(snapshot) {
    state = snapshot;
    skew = parseTime(state.now) - Date.now();
    document.body.dataset.revision = state.revision;
    render();
  }

  // -- the buttons: control, messages, acknowledgement -----------------------------------
  function errorText(status, kind) {
    if (status === 401) return Date.now() >= EXPIRES ? words.err_expired : words.err_auth;
    if (status === 403) return words.err_role;
    if (status === 404 && kind === "ack") return words.err_gone;
    if (status === 400 && kind === "amount") return words.err_amount;
    if (status === 400 && kind === "message") return words.err_message;
    return say(words.err_other, {status: String(status)});
  }
  async function post(path, body, kind, errorEl, buttons) {
    buttons.forEach((b) => { b.disabled = true; });
    errorEl.textContent = "";
    errorEl.title = "";
    try {
      const response = await fetch("/api/events/" + encodeURIComponent(slug) + path, {
        method: "POST",
        headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        body: JSON.stringify(body || {})
      });
      let data = null;
      try { data = await response.json(); } catch (err) { data = null; }
      if (!response.ok) {
        errorEl.textContent = errorText(response.status, kind);
        // The service's own words, in English, for whoever hovers to know more.
        if (data && data.error) errorEl.title = data.error;
        return false;
      }
      if (data && data.phase) adopt(data);
      return true;
    } catch (err) {
      errorEl.textContent = words.err_network;
      return false;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }
  const controlButtons = () => Array.from(document.querySelectorAll("#controls button"));
  function control(action, body, kind) {
    return post("/" + action, body, kind, $("control-error"), controlButtons());
  }
  $("btn-next").addEventListener("click", () => control("next", {}, "control"));
  $("btn-shift").addEventListener("click",
    () => control("shift", {amount: $("amount").value}, "amount"));
  $("btn-extend").addEventListener("click",
    () => control("extend", {amount: $("amount").value.replace(/^\+/, "")}, "amount"));

  function messageId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "m" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  async function sendMessage(text, fromInput) {
    const clean = text.replace(/\s+/g, " ").trim();
    if (!clean || clean.length > MAX) {
      $("compose-error").textContent = words.err_message;
      return;
    }
    // The page's own id: a retried request posts the message once.
    const ok = await post("/message", {text: clean, notify: $("msg-notify").checked,
                                       id: messageId()},
                          "message", $("compose-error"),
                          Array.from(document.querySelectorAll("#compose button")));
    if (ok) {
      if (fromInput) { $("msg-input").value = ""; count(); }
      toast(words.sent);
    }
  }
  function count() { $("msg-count").textContent = $("msg-input").value.length + " / " + MAX; }
  $("msg-input").addEventListener("input", count);
  $("msg-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); sendMessage($("msg-input").value, true); }
  });
  $("msg-send").addEventListener("click", () => sendMessage($("msg-input").value, true));
  $("msg-wrap").addEventListener("click", () => sendMessage(words.wrap_up, false));
  $("msg-qa").addEventListener("click", () => sendMessage(words.qa_next, false));
  $("msg-ack").addEventListener("click", async () => {
    const id = $("msg").dataset.id;
    if (!id) return;
    const ok = await post("/message/" + encodeURIComponent(id) + "/ack", {}, "ack",
                          $("ack-error"), [$("msg-ack")]);
    if (ok) announce(words.ann_acked, false);
  });

  applyWords();
  connect(false);
  setInterval(tick, 250);
})();
</script>
</body>
</html>
"""

_ERROR = r"""<!doctype html>
<html lang="__LANG_TAG__"><head><meta charset="utf-8"><title>__HEADING__</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="__NONCE__">body{font-family:system-ui,sans-serif;background:#111111;color:#f4f4f4;
padding:2rem;max-width:46rem;line-height:1.5;} code{background:#2a2a2a;padding:.1rem .3rem;
border-radius:.3rem;}</style>
</head><body><h1>__HEADING__</h1><p id="error" data-reason="__REASON__">__MESSAGE__</p>
__FIX__</body></html>
"""


def _fill(template: str, words: dict[str, str]) -> str:
    """``{{key}}`` → the word, escaped for HTML (text and attribute values alike)."""
    out = template
    for key, text in words.items():
        out = out.replace("{{" + key + "}}", html.escape(text))
    return out


def board_page(title: str, can_control: bool, language: str = "en", *, view: str = "board",
               transparent: bool = False, nonce: str = "",
               expires: datetime | None = None) -> str:
    """The board page for one event in ``language`` (else English); controls are shown only
    to a controller, and never in the speaker view. ``nonce``: the response's CSP nonce."""
    # JSON inside <script>: no "</" may close the element early.
    words = json.dumps(BOARD_WORDS, ensure_ascii=False).replace("</", "<\\/")
    lang: Language = language if language in BOARD_WORDS else "en"
    speaker = view == "speaker"
    own = {**BOARD_WORDS[lang],
           "board_name": BOARD_WORDS[lang]["speaker_board" if speaker else "board"]}
    page = _fill(_PAGE, own)
    if transparent:
        page = page.replace('<html lang="__LANG_TAG__">',
                            '<html lang="__LANG_TAG__" class="bg-transparent">', 1)
    return (page.replace("__WORDS__", words).replace("__LANG__", json.dumps(lang))
            .replace("__LOCALES__", json.dumps(LOCALES))
            .replace("__LANG_TAG__", lang)
            .replace("__VIEW_JSON__", json.dumps("speaker" if speaker else "board"))
            .replace("__VIEW__", "speaker" if speaker else "board")
            .replace("__EXPIRES__", json.dumps(expires.isoformat() if expires else ""))
            .replace("__MAX__", str(MESSAGE_MAX_CHARS))
            .replace("__COLOURS__", _css_colours())
            .replace("__NONCE__", html.escape(nonce))
            .replace("__ROLE__", "controller" if can_control and not speaker else "viewer")
            .replace("__TITLE__", html.escape(title)))


def error_page(error: BoardAuthError | str, language: str = "en", *, nonce: str = "") -> str:
    """The page for a refused link, in ``language``: what is wrong and what to do (a link
    signed with another key names both key ids and how to make one that works)."""
    lang: Language = language if language in ERROR_WORDS else "en"
    words = ERROR_WORDS[lang]
    reason = error.reason if isinstance(error, BoardAuthError) else "other"
    fix = ""
    if isinstance(error, BoardAuthError) and reason == "other_key":
        message = words["other_key"].format(link=error.link_key_id or words["unknown_key"],
                                            service=error.service_key_id or "?")
        fix = f'<p id="fix">{_code(words["other_key_fix"])}</p>'
    elif reason in words and reason != "other":
        message = words[reason]
    else:
        message = words["other"].format(message=str(error))
    return (_ERROR.replace("__HEADING__", html.escape(words["heading"]))
            .replace("__LANG_TAG__", lang).replace("__NONCE__", html.escape(nonce))
            .replace("__REASON__", html.escape(reason))
            .replace("__MESSAGE__", html.escape(message)).replace("__FIX__", fix))


def _code(text: str) -> str:
    """Escaped text with its `backquoted` parts as <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
