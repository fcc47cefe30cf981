"""Aspect words as data: every file parses, every entry finds its own example, weights are sane."""

import re
from collections import Counter

import pytest

from bot.answering.aspects import (
    MAX_WEIGHT,
    AspectDataError,
    AspectEntry,
    aspect_evidence,
    aspect_priority,
    load_aspects,
    parse_entry,
)
from bot.intents import TOPIC_NAMES, Intent, detect_intent
from i18n import LANGUAGES
from knowledge.base import fold

ENTRIES = [entry for lang in LANGUAGES for entry in load_aspects(lang).entries]


def test_every_aspect_has_words_in_every_language() -> None:
    for lang in LANGUAGES:
        table = load_aspects(lang)
        for aspect in aspect_priority():
            assert table.of(aspect), f"{lang}: no words for {aspect}"


def test_no_entry_is_written_twice_in_a_file() -> None:
    for lang in LANGUAGES:
        counts = Counter(e.pattern for e in load_aspects(lang).entries)
        assert [p for p, n in counts.items() if n > 1] == [], lang


def test_an_entry_means_one_aspect_in_every_language() -> None:
    # Longest-first matching reports one entry per stretch of text: the same words under two
    # aspects would silently count for only one of them.
    aspects: dict[str, set[str]] = {}
    for entry in ENTRIES:
        for written in (entry.pattern, *entry.spellings):
            aspects.setdefault(written, set()).add(entry.aspect)
    assert {p: a for p, a in aspects.items() if len(a) > 1} == {}


def test_weights_are_in_range() -> None:
    assert all(0 < e.weight <= MAX_WEIGHT for e in ENTRIES)
    assert sum(e.weight < 1 for e in ENTRIES) >= 40  # the generic words are marked as such


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.lang}:{e.aspect}:{e.text}" for e in ENTRIES])
def test_each_entry_finds_its_own_example(entry: AspectEntry) -> None:
    found = {m.aspect: m for m in aspect_evidence(fold(entry.example), (entry.lang,))}
    assert entry.aspect in found, entry.example
    assert entry.text in found[entry.aspect].terms


@pytest.mark.parametrize(
    "item",
    [
        "Deadline",  # not lower case
        "dead*line",  # * inside a word
        "two  spaces",
        "",
        {"w": "apply", "weight": 0},
        {"w": "apply", "weight": 3.5},
        {"w": "apply", "weight": "low"},
        {"w": "apply", "wieght": 0.4},
        {"near": ["how"]},
        {"near": ["how", "apply"], "within": -1},
        {"near": ["how", {"x": 1}]},
        ["a", "list"],
    ],
)
def test_a_bad_entry_is_refused_with_a_reason(item: object) -> None:
    with pytest.raises(AspectDataError):
        parse_entry("deadline", "en", item)


def test_entry_syntax() -> None:
    def matches(item: object, text: str) -> bool:
        return re.search(parse_entry("deadline", "en", item).pattern, text) is not None

    assert matches("määräai*", "määräaikaan mennessä")
    assert not matches("määräai*", "epämääräainen")
    assert not matches("open", "reopened")
    assert matches("submit* by", "submitted by")
    assert matches("*medlemsstat*", "icke medlemsstaterna")
    assert matches("*medlemsstat*", "eumedlemsstaterna")
    assert not matches("medlemsstat*", "eumedlemsstaterna")
    assert matches("%", "90%")
    assert matches({"near": ["how", ["apply", "submit"]], "within": 2}, "how do we apply")
    assert not matches({"near": ["how", ["apply", "submit"]], "within": 1}, "how do we apply")
    assert matches({"near": ["how", "apply"]}, "how, in the end, would a small group apply")


def test_detect_intent_gives_one_legacy_topic() -> None:
    assert detect_intent(fold("Hur många dagar är kvar att söka?")) == Intent("deadline", (0, 15))
    assert detect_intent(fold("nothing to see")) is None
    assert "timing" not in TOPIC_NAMES
    for entry in ENTRIES:
        intent = detect_intent(fold(entry.example))
        assert intent is not None and intent.topic in TOPIC_NAMES
