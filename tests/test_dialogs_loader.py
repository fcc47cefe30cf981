"""The eligibility checks as files: the shipped ones load against the real facts, a broken
one is refused naming its file and field, and the eligibility catalog holds exactly the messages
in use.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.eligibility import (
    CALLBACK_MAX_BYTES,
    CHECKS_DIR,
    CONTROL_OPTIONS,
    ENGINE_MESSAGES,
    FACTS_DIR,
    CheckSpec,
    ConsortiumTest,
    RangeTest,
    SpecError,
    iter_message_ids,
    load_catalogs,
    load_check,
    load_checks,
)
from bot.eligibility.parsing import HINTS
from handlers.callbacks import decode_callback, encode_callback
from i18n import LANGUAGES, LOCALES_DIR, translator

# --- loading -----------------------------------------------------------------------------------


def test_every_shipped_check_loads_against_the_real_facts(checks: dict[str, CheckSpec]) -> None:
    assert set(checks) == {"thb24", "fi23"}
    assert len(list(CHECKS_DIR.glob("*.yaml"))) == len(checks)


def test_rules_take_their_numbers_from_the_facts_file(thb: CheckSpec) -> None:
    facts = yaml.safe_load((FACTS_DIR / "amif-2024-tf2-ag-thb.yaml").read_text("utf-8"))
    grant = next(r.test for r in thb.rules if r.id == "grant")
    consortium = next(r.test for r in thb.rules if r.id == "consortium")
    assert isinstance(grant, RangeTest) and isinstance(consortium, ConsortiumTest)
    assert (grant.minimum, grant.maximum) == (
        facts["grant"]["min"]["amount"],
        facts["grant"]["max"]["amount"],
    )
    assert consortium.min_countries == facts["consortium"]["min_countries"]
    prio = thb.question("prio")
    assert [o.id for o in prio.options][:-1] == [p["id"] for p in facts["priorities"]]
    assert thb.countries is not None and thb.countries.excluded == frozenset({"DK"})


def test_every_button_fits_telegrams_64_byte_callback_limit(checks: dict[str, CheckSpec]) -> None:
    for spec in checks.values():
        for q in spec.questions:
            step = f"{q.id}.XX" if q.for_each else q.id
            for option in [o.id for o in q.options] + sorted(CONTROL_OPTIONS):
                data = encode_callback(spec.id, step, option)
                assert len(data.encode()) <= CALLBACK_MAX_BYTES
                assert decode_callback(data) == (spec.id, step, option)
    assert decode_callback("other:thing") is None


def _broken(tmp_path: Path, change: Any, name: str = "broken.yaml") -> Path:
    raw = yaml.safe_load((CHECKS_DIR / "amif-2024-tf2-ag-thb.yaml").read_text("utf-8"))
    change(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _step(raw: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in raw["steps"] if s["id"] == step_id)


def _rule(raw: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in raw["rules"] if r["id"] == rule_id)


BROKEN = [
    (
        lambda r: _step(r, "sector").update(when={"answer": "nope", "equals": True}),
        r"steps\[1\] \(sector\)\.when\.answer: unknown question id 'nope'",
    ),
    (
        lambda r: _step(r, "legal").update(when={"answer": "sector", "equals": "pub"}),
        r"steps\[0\] \(legal\)\.when\.answer: unknown question id 'sector'"
        r" \(or not asked before\)",
    ),
    (
        lambda r: _rule(r, "sector")["test"]["condition"].update({"in": ["pub", "public"]}),
        r"rules\[1\] \(sector\)\.test\.condition\.in: unknown option 'public'",
    ),
    (
        lambda r: _step(r, "legal").update(prompt="Are you a legal entity?"),
        r"steps\[0\] \(legal\)\.prompt: message id not translated in en:"
        r" 'Are you a legal entity\?'",
    ),
    (
        lambda r: _rule(r, "grant")["test"]["range"].update(max={"fact": "grant.maximum.amount"}),
        r"rules\[5\] \(grant\)\.test\.range\.max: unknown fact path 'grant\.maximum\.amount'",
    ),
    (
        lambda r: _rule(r, "legal").update(test={"vote": {"answer": "legal"}}),
        r"rules\[0\] \(legal\)\.test\.vote: unknown field",
    ),
    (
        lambda r: _rule(r, "legal").update(based_on=["co_financing"]),
        r"rules\[0\] \(legal\)\.based_on\[0\]: fact 'co_financing' is empty",
    ),
    (
        lambda r: _step(r, "prio").update(options_from={"fact": "actions", "id": "slug"}),
        r"steps\[8\] \(prio\)\.options_from\[0\]: fact item lacks 'slug'",
    ),
    (
        lambda r: _step(r, "sector")["options"].append({"id": "x" * 50, "label": "Not sure"}),
        r"steps \(sector\): callback data 'elig:thb24:sector:x+' is over 64 bytes",
    ),
    (
        lambda r: _step(r, "sector")["options"].append({"id": "ok", "label": "Not sure"}),
        r"steps\[1\] \(sector\)\.options\[3\]\.id: option id 'ok' must be short ASCII",
    ),
    (lambda r: _step(r, "legal").update(colour="blue"), r"steps\[0\]\.colour: unknown field"),
    (
        lambda r: _rule(r, "consortium")["fix"].pop("entities"),
        r"rules\[4\] \(consortium\)\.fix\.entities: missing fix for this failure",
    ),
    (
        lambda r: _rule(r, "legal").update(
            fix="Plan the action for an initial duration of {months} months."
        ),
        r"rules\[0\] \(legal\)\.fix: message uses \['months'\] which this field does not provide",
    ),
]


@pytest.mark.parametrize(("change", "error"), BROKEN)
def test_a_broken_check_file_is_refused_naming_file_and_field(
    tmp_path: Path, change: Any, error: str
) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(SpecError, match=rf"broken\.yaml: {error}"):
        load_check(path)


def test_two_check_files_with_one_id_are_refused(tmp_path: Path) -> None:
    _broken(tmp_path, lambda r: None, "a.yaml")
    _broken(tmp_path, lambda r: None, "b.yaml")
    with pytest.raises(SpecError, match=r"b\.yaml: id: 'thb24' is also used by .*a\.yaml"):
        load_checks(tmp_path)


# --- the eligibility catalog -------------------------------------------------------------------


def _eligibility_catalog(lang: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "eligibility.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    assert not catalog.fuzzy and catalog.plural_forms.startswith("nplurals=2")
    entries: dict[tuple[str, ...], tuple[str, ...]] = {}
    for m in catalog:
        if m.id:
            assert not m.fuzzy, m.id
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            entries[tuple(str(i) for i in ids)] = tuple(str(x) for x in strings)
    return entries


def _used_message_ids(checks: dict[str, CheckSpec]) -> set[tuple[str, ...]]:
    used: set[tuple[str, ...]] = {
        m if isinstance(m, tuple) else (m,) for m in (*ENGINE_MESSAGES, *HINTS)
    }
    plurals = {
        fix.msgid: fix.plural
        for spec in checks.values()
        for rule in spec.rules
        for _, fix in rule.fixes
        if fix.plural
    }
    for spec in checks.values():
        used |= {(m, plurals[m]) if m in plurals else (m,) for m in iter_message_ids(spec)}
    return used


def test_eligibility_catalog_has_exactly_the_messages_in_use(
    checks: dict[str, CheckSpec],
) -> None:
    in_catalog = set(_eligibility_catalog("en"))
    assert in_catalog == _used_message_ids(checks)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_eligibility_catalog_is_complete_in_each_language(lang: str) -> None:
    import re

    english = _eligibility_catalog("en")
    catalog = _eligibility_catalog(lang)
    assert set(catalog) == set(english)
    for ids, strings in catalog.items():
        assert len(strings) == len(ids) and all(s.strip() for s in strings), ids
        wanted = set(re.findall(r"\{(\w*)\}", ids[-1]))
        assert all(set(re.findall(r"\{(\w*)\}", s)) == wanted for s in strings), ids
        if lang == "en":
            assert strings == ids


def test_translations_reach_the_user_through_the_shared_translator() -> None:
    assert translator("sv").gettext("Legal person") == "Juridisk person"
    assert translator("fi").ngettext("{n} month", "{n} months", 24) == "{n} kuukautta"


def test_catalog_messages_are_what_load_check_validates(checks: dict[str, CheckSpec]) -> None:
    catalogs = load_catalogs()
    for lang in LANGUAGES:
        for msgid, *_rest in _used_message_ids(checks):
            assert msgid in catalogs[lang]
