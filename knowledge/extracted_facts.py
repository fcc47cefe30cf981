"""Facts files from what ingest extracted: a call document becomes a call.

Each ingested document whose text names a call reference or a deadline is written as
`<data dir>/extracted/<document id>.yaml`, in the schema of the shipped facts files, so that it is
validated by the same parser and the operator can copy it to `<data dir>/facts/` to correct or
complete it field by field. A topic page with its own budget becomes a call of its own (the topic
reference), with the dates, rate and rules of the page.

The few texts a facts file must carry in three languages (the summary, the basis of the funding
rate, the countries rule) are stated here in our words; values come from the document.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

from knowledge.extraction.model import Cited, Extraction, Moment
from knowledge.facts import EXTRACTED_SUBDIR, Money

# The zone a page's date is read in when the page names none: EU calls close in Brussels time,
# and the national authority this assistant serves first is Finland's (Finnish and Swedish).
DEFAULT_ZONES = {"en": "Europe/Brussels", "fi": "Europe/Helsinki", "sv": "Europe/Helsinki"}
_LOCALES = {"en": "en_GB", "sv": "sv_FI", "fi": "fi_FI"}

_SUMMARY = {
    "en": "A call from an ingested document: {title}.",
    "sv": "En utlysning ur ett inläst dokument: {title}.",
    "fi": "Haku tallennetusta asiakirjasta: {title}.",
}
_RATE_BASIS = {
    "en": "of the eligible costs",
    "sv": "av de stödberättigande kostnaderna",
    "fi": "tukikelpoisista kustannuksista",
}
_COUNTRIES = {
    "en": "Organisations in EU Member States may take part, except those in {countries}.",
    "sv": "Organisationer i EU:s medlemsstater kan delta, utom de i {countries}.",
    "fi": "EU:n jäsenvaltioissa toimivat organisaatiot voivat osallistua, paitsi: {countries}.",
}
_CONSORTIUM = {
    "en": "At least {entities} organisations from at least {countries} countries.",
    "sv": "Minst {entities} organisationer från minst {countries} länder.",
    "fi": "Vähintään {entities} organisaatiota vähintään {countries} maasta.",
}
_CONTACT = {
    "en": "Questions about the call go to the address the document gives.",
    "sv": "Frågor om utlysningen skickas till adressen i dokumentet.",
    "fi": "Hakua koskevat kysymykset lähetetään asiakirjassa annettuun osoitteeseen.",
}
_TOPIC_TITLE = {
    "en": "{title}, topic {topic}",
    "sv": "{title}, ämne {topic}",
    "fi": "{title}, aihe {topic}",
}


def _l10n(texts: dict[str, str], **values: object) -> dict[str, str]:
    return {lang: text.format(**values) for lang, text in texts.items()}


def _money(money: Money) -> dict[str, Any]:
    amount = money.amount
    return {
        "amount": int(amount) if amount == amount.to_integral_value() else float(amount),
        "currency": money.currency,
    }


def _when(moment: Moment, lang: str) -> dict[str, Any]:
    when = moment.when(DEFAULT_ZONES.get(lang, "Europe/Brussels"))
    return {
        "date": when.date,
        "time": when.time.strftime("%H:%M") if when.time else None,
        "tz": when.tz.key,
    }


def facts_from_extraction(
    extraction: Extraction, *, doc_id: str, title: str, url: str | None
) -> list[dict[str, Any]]:
    """The facts files (as mappings) a document's extraction gives; empty when it names no call."""
    reference = extraction.references[0].value if extraction.references else None
    if reference is None and extraction.deadline is None:
        return []
    lang = extraction.lang
    shown = extraction.title.value if extraction.title else title
    call: dict[str, Any] = {
        "id": reference or doc_id,
        "kind": "call",
        "reference": reference,
        "source": doc_id,
        "field_sources": {},
        "title": {code: shown for code in _SUMMARY},
        "summary": _l10n(_SUMMARY, title=shown),
        "aliases": [t.value.lower() for t in extraction.topics]
        + [r.value.lower() for r in extraction.references[1:]],
        "url": url,
    }
    found: dict[str, Cited[Any] | None] = {
        "opens": extraction.opens,
        "deadline": extraction.deadline,
        "budget": extraction.budget,
        "funding_rate": extraction.funding_rate,
        "duration_months": extraction.duration_months,
    }
    if extraction.opens is not None:
        call["opens"] = _when(extraction.opens.value, lang)
    if extraction.deadline is not None:
        call["deadline"] = _when(extraction.deadline.value, lang)
    if (
        call.get("opens")
        and call.get("deadline")
        and call["opens"]["date"] > call["deadline"]["date"]
    ):
        del call["opens"]  # a page's date taken for the opening that falls after the deadline
    if extraction.budget is not None:
        call["budget"] = _money(extraction.budget.value)
    if extraction.grant_min is not None and extraction.grant_max is not None:
        call["grant"] = {
            "min": _money(extraction.grant_min.value),
            "max": _money(extraction.grant_max.value),
        }
    if extraction.funding_rate is not None and 0 < extraction.funding_rate.value <= 1:
        call["funding_rate"] = {
            "rate": float(extraction.funding_rate.value),
            "basis": dict(_RATE_BASIS),
        }
    if extraction.duration_months is not None:
        call["duration_months"] = extraction.duration_months.value[1]
    if extraction.emails:
        call["contact"] = {
            "email": extraction.emails[0].value,
            "url": url,
            "text": dict(_CONTACT),
        }
    if extraction.min_entities is not None and extraction.min_countries is not None:
        call["consortium"] = {
            "min_entities": extraction.min_entities.value,
            "min_countries": extraction.min_countries.value,
            "text": _l10n(
                _CONSORTIUM,
                entities=extraction.min_entities.value,
                countries=extraction.min_countries.value,
            ),
        }
    excluded = sorted({c.value for c in extraction.excluded_countries})
    if excluded:
        call["countries"] = {
            "member_states": True,
            "excluded": excluded,
            "text": {
                code: text.format(
                    countries=", ".join(
                        Locale.parse(_LOCALES[code]).territories.get(c, c) for c in excluded
                    )
                )
                for code, text in _COUNTRIES.items()
            },
        }
    for name in [*found, "grant", "contact", "consortium", "countries"]:
        if name in call:
            call["field_sources"][name if name != "duration_months" else "duration"] = doc_id
    calls = [call]
    for topic, money in extraction.topic_budgets:
        if topic.casefold() == (reference or "").casefold():
            continue
        calls.append(
            {
                **call,
                "id": topic,
                "reference": topic,
                "title": _l10n(_TOPIC_TITLE, title=shown, topic=topic),
                "aliases": [],
                "budget": _money(money.value),
                # The page's grant range and totals belong to the whole call, not one topic.
                "grant": None,
            }
        )
    return calls


def write_extracted(data_dir: Path, doc_id: str, calls: list[dict[str, Any]]) -> list[Path]:
    """A document's extracted facts files (one per call), atomically; [] removes them.

    A file that already says the same is left as it is.
    """
    folder = data_dir / EXTRACTED_SUBDIR
    head = (
        "# Written by `amif-bot ingest` from the document's text; do not edit. To correct or\n"
        "# complete a value, put the same id and the fields to change in <data dir>/facts/.\n"
    )
    wanted = {
        # The call first, then its topics beside it, named after the document and topic.
        (f"{doc_id}.yaml" if n == 0 else f"{doc_id}--{call['id'].lower()}.yaml"): head
        + yaml.safe_dump(call, sort_keys=False, allow_unicode=True, width=100)
        for n, call in enumerate(calls)
    }
    if folder.is_dir():
        for stale in [folder / f"{doc_id}.yaml", *folder.glob(f"{doc_id}--*.yaml")]:
            if stale.name not in wanted:
                stale.unlink(missing_ok=True)
    if wanted:
        folder.mkdir(parents=True, exist_ok=True)
    for name, content in wanted.items():
        target = folder / name
        if not (target.is_file() and target.read_text(encoding="utf-8") == content):
            _write(target, content)
    return [folder / name for name in wanted]


def _write(target: Path, content: str) -> None:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".extracted-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
