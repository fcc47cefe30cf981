"""The gettext catalogs: complete, not fuzzy, same placeholders, in step with the code."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from i18n import LANGUAGES, LOCALES_DIR, translator
from i18n.maintain import extract

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalogs():
    for lang in LANGUAGES:
        for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as fh:
                yield lang, po, read_po(fh, locale=lang)


def test_every_language_has_the_main_catalog() -> None:
    for lang in LANGUAGES:
        assert (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").is_file()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_translated_not_fuzzy_same_placeholders(lang: str) -> None:
    problems = []
    for cat_lang, po, catalog in _catalogs():
        if cat_lang != lang:
            continue
        assert not catalog.fuzzy, f"{po}: the catalog header is marked fuzzy"
        assert catalog.plural_forms.startswith("nplurals=2"), po
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                problems.append(f"{po}: fuzzy: {ids[0]!r}")
            if not all(s.strip() for s in strings) or len(strings) != len(ids):
                problems.append(f"{po}: untranslated: {ids[0]!r}")
                continue
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for s in strings:
                if set(PLACEHOLDER.findall(s)) != wanted:
                    problems.append(f"{po}: placeholders differ: {ids[0]!r} -> {s!r}")
    assert not problems, "\n".join(problems)


def test_same_message_ids_in_every_language() -> None:
    ids: dict[tuple[str, str], set[object]] = {}
    for lang, po, catalog in _catalogs():
        ids[(lang, po.name)] = {m.id for m in catalog if m.id}
    for (lang, name), found in ids.items():
        assert found == ids[("en", name)], f"{lang}/{name} differs from en/{name}"


def test_catalog_covers_every_message_in_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    extract(pot)  # the same extraction `python -m i18n.maintain` runs
    with pot.open("rb") as fh:
        in_code = {m.id for m in read_po(fh) if m.id}
    with (LOCALES_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        in_catalog = {m.id for m in read_po(fh, locale="sv") if m.id}
    missing = in_code - in_catalog
    assert not missing, f"run `python -m i18n.maintain` and translate: {sorted(missing)[:5]}"


def test_translations_reach_the_user() -> None:
    assert translator("sv").gettext("closed") == "stängd"
    assert translator("fi").gettext("closed") == "suljettu"
    assert translator("en").gettext("closed") == "closed"


def test_babel_formats_per_locale() -> None:
    nbsp = "\u00a0"
    assert translator("sv").format_money(800000).replace(nbsp, " ") == "800 000 €"
    assert translator("en").format_money(800000) == "€800,000"
    assert translator("fi").format_percent(0.9).replace(nbsp, " ") == "90 %"
    assert translator("en").format_percent(0.635) == "63.5%"
    assert translator("en").format_money(9_880_000_000) == "9.88 billion euro"
