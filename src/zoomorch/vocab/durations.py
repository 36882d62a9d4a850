"""Amounts of time: one grammar, one parser, one formatter.

Everything a person writes as an amount of time reads the same way: the event file's
``[cues]`` amounts and segment ``warnings``, ``zoomorch cues shift/extend``, the board's
amount box, ``board-link --expires`` and the relative part of ``--start-at now+10m``.

The grammar (case and spaces do not matter)::

    amount  := [sign] body
    sign    := "+" | "-"
    body    := number                    a bare number is minutes: 5, 0.5
             | (number unit)+            90s, 2m, 1h30m, 1 min 30 s, 2d
             | "P" [n "D"] ["T" [n "H"] [n "M"] [n "S"]]   ISO 8601: PT5M, PT1H30M, P1D
    number  := digits ["." digits]
    unit    := d | day(s) | h | hr(s) | hour(s) | m | min(s) | minute(s) | s | sec(s) | second(s)

An event file may also hold a plain TOML number (minutes). ``1:30`` is refused: on a
countdown it reads as a minute and a half, in a run-of-show as an hour and a half.

Where an amount may not be negative (the event file) or must be positive (a link's expiry),
the caller says so and the error says what to write instead.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

Sign = Literal["any", "nonnegative", "positive"]

_UNIT_SECONDS: dict[str, float] = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}
_NUMBER = r"\d+(?:\.\d+)?"
# Longest words first, so that "min" is not read as "m" followed by "in".
_UNIT = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
_PART = re.compile(rf"({_NUMBER})\s*({_UNIT})(?![a-z])", re.I)
_WITH_UNITS = re.compile(rf"(?:{_NUMBER}\s*(?:{_UNIT})(?![a-z])\s*)+", re.I)
_BARE = re.compile(_NUMBER)
_ISO = re.compile(rf"P(?:(?P<d>{_NUMBER})D)?(?:T(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?"
                  rf"(?:(?P<s>{_NUMBER})S)?)?", re.I)
_CLOCK = re.compile(r"\d+:\d\d(?::\d\d)?")

# What each kind of place asks people to write; the grammar behind them is the same.
_EXAMPLES: dict[Sign, str] = {
    "any": "write e.g. +3m, -2m, 90s or 1h30m (a bare number is minutes)",
    "nonnegative": "write minutes as a number (e.g. 5) or a string like \"90s\" or \"1h30m\"",
    "positive": "write e.g. 6h, 90m or 2d (a bare number is minutes)",
}


class DurationError(ValueError):
    """An amount that cannot be read, or that is out of range where it was written: what is
    wrong (``message``) and what to write instead (``fix``), kept apart for the event file's
    "field: message — fix" lines."""

    def __init__(self, value: object, message: str, fix: str) -> None:
        self.value, self.message, self.fix = value, message, fix
        super().__init__(f"{message}; {fix}")


def parse_duration(value: str | int | float | timedelta, *, sign: Sign = "any") -> timedelta:
    """Read an amount of time written in the grammar above (numbers are minutes).

    ``sign`` says what the place accepts: ``"any"`` (``shift -2m``), ``"nonnegative"`` (the
    event file) or ``"positive"`` (an expiry). Raises :class:`DurationError`.
    """
    amount = _read(value, sign)
    if sign == "nonnegative" and amount < timedelta(0):
        raise DurationError(value, f"{_shown(value)} is negative", "write zero or more")
    if sign == "positive" and amount <= timedelta(0):
        raise DurationError(value, f"{_shown(value)} is not more than zero",
                            "write a positive amount, " + _EXAMPLES[sign].removeprefix("write "))
    return amount


def _read(value: str | int | float | timedelta, sign: Sign) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):  # TOML's true is an int to Python, not an amount
        raise _not_an_amount(value, sign)
    if isinstance(value, int | float):
        return timedelta(minutes=value)
    if not isinstance(value, str):
        raise _not_an_amount(value, sign)
    text = value.strip()
    negative = text.startswith("-")
    body = text[1:].strip() if text[:1] in ("+", "-") else text
    if _BARE.fullmatch(body):
        seconds = float(body) * 60
    elif _WITH_UNITS.fullmatch(body):
        seconds = sum(float(n) * _UNIT_SECONDS[_UNIT_WORDS[u.lower()]]
                      for n, u in _PART.findall(body))
    elif (iso := _ISO.fullmatch(body)) and any(iso.groupdict().values()):
        seconds = sum(float(n) * _UNIT_SECONDS[u] for u, n in iso.groupdict().items() if n)
    elif _CLOCK.fullmatch(body):
        raise DurationError(value, f"{value!r} is ambiguous (minutes:seconds or hours:minutes?)",
                            "write it with units, e.g. 1m30s or 1h30m")
    else:
        raise _not_an_amount(value, sign)
    return timedelta(seconds=-seconds if negative else seconds)


def _not_an_amount(value: object, sign: Sign) -> DurationError:
    return DurationError(value, f"{_shown(value)} is not an amount of time", _EXAMPLES[sign])


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def format_duration(amount: timedelta) -> str:
    """How an amount reads to people, in every language: ``5 min``, ``1 min 30 s``, ``30 s``.

    Whole seconds, no sign, minutes never folded into hours (an overrun of 90 minutes reads
    ``90 min``). The result reads back through :func:`parse_duration` to the same amount
    (to the second), and cue ids are built from it, so its shape must not change.
    """
    seconds = abs(round(amount.total_seconds()))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")
