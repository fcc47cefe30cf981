"""The language packs the assistant ships, registered in order (the first is the default).

Adding a language is adding a pack module beside these (see README, "Adding a language") and
registering it here; tests and plugins may `LANGUAGES.register(pack)` at run time.
"""

from __future__ import annotations

from i18n.languages import en, fi, sv
from i18n.languages.base import (
    AnswerWords,
    ChatWords,
    DetectorFeatures,
    DocumentWords,
    LanguagePack,
    LanguageRegistry,
    QuestionWords,
    words,
)

LANGUAGES = LanguageRegistry((en.PACK, sv.PACK, fi.PACK))

__all__ = [
    "LANGUAGES",
    "AnswerWords",
    "ChatWords",
    "DetectorFeatures",
    "DocumentWords",
    "LanguagePack",
    "LanguageRegistry",
    "QuestionWords",
    "words",
]
