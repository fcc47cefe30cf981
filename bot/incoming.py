"""What people send besides questions: thanks, "ok", a call for help, other languages, pastes.

Pure functions, no Telegram: the handler asks `classify` before the assistant, so "Kiitos!" gets
a short reply in Finnish instead of the introduction, and `first_question` picks the question out
of a long pasted message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from i18n import LANGUAGES

# Distinctive words of languages the assistant does not speak (none is a word of its own).
FOREIGN_WORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        {"ich", "ist", "nicht", "und", "wie", "für", "kann", "können", "eine", "einen", "einer"}
        | {"wann", "welche", "welcher", "gibt", "wir", "sind", "mit", "auf", "oder", "hoch"}
        | {"unsere", "unser", "bitte", "frage", "antrag", "frist", "förderung", "aufruf"}
        | {"habe", "haben", "das", "des", "zum", "zur", "endet", "über", "auch", "wer"}
        | {"förderquote", "deutsche", "stellen", "beantragen", "warum"}
    ),
    "fr": frozenset(
        {"est", "les", "une", "pour", "quel", "quelle", "quels", "peut", "pouvons", "nous"}
        | {"vous", "je", "taux", "financement", "appel", "quand", "avec", "sont", "dans"}
        | {"être", "demande", "limite", "notre", "qui"}
    ),
}
FOREIGN_MIN_WORDS = 2
# Share of a message's words that must be distinctive foreign words, so that a loan word or a
# name in a Swedish or English question never decides.
FOREIGN_SHARE = 0.4
MAX_SMALL_TALK_WORDS = 6
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"(?<=[?!.])\s+|\n+")


class Kind(StrEnum):
    """What a short message is, when it is not a question."""

    THANKS = "thanks"
    ACK = "ack"
    HELP = "help"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class Chatter:
    """A message that is not a question; `lang` is its own language when the words tell."""

    kind: Kind
    lang: str | None = None


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def classify(text: str) -> Chatter | None:
    """Thanks, an acknowledgement, a call for help or an unsupported language; None otherwise."""
    stripped = text.strip()
    if stripped and set(stripped) <= {"?", "¿", " "}:
        return Chatter(Kind.HELP)
    words = _words(stripped)
    if not words:
        return None
    phrase = " ".join(words)
    for pack in LANGUAGES.packs:
        if phrase in pack.chat.help:
            return Chatter(Kind.HELP, pack.code)
    if len(words) <= MAX_SMALL_TALK_WORDS:
        found = _small_talk(words)
        if found is not None:
            return found
    for lang, vocabulary in FOREIGN_WORDS.items():
        if lang in LANGUAGES:
            continue  # a language registered since is spoken, not foreign
        hits = [w for w in words if w in vocabulary]
        if len(set(hits)) >= FOREIGN_MIN_WORDS and len(hits) >= FOREIGN_SHARE * len(words):
            return Chatter(Kind.FOREIGN, lang)
    return None


def _small_talk(words: list[str]) -> Chatter | None:
    """Thanks or an acknowledgement made only of one pack's chat words ("ok" fits several)."""
    fitting = [
        pack
        for pack in LANGUAGES.packs
        if all(w in pack.chat.thanks | pack.chat.ack | pack.chat.filler for w in words)
    ]
    if not fitting:
        return None
    thanked = [pack.code for pack in fitting if any(w in pack.chat.thanks for w in words)]
    if thanked:
        return Chatter(Kind.THANKS, thanked[0] if len(thanked) == 1 else None)
    acked = [pack.code for pack in fitting if any(w in pack.chat.ack for w in words)]
    if not acked:
        return None
    return Chatter(Kind.ACK, acked[0] if len(acked) == 1 else None)


def first_question(text: str, limit: int) -> str:
    """The first question of a long message (or its opening), at most `limit` characters."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    chosen = next((s for s in sentences if s.endswith("?")), None)
    if chosen is None:
        chosen = ""
        for sentence in sentences:
            candidate = f"{chosen} {sentence}".strip()
            if len(candidate) > limit:
                break
            chosen = candidate
        chosen = chosen or text
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit].rsplit(" ", 1)[0]
    return cut or chosen[:limit]
