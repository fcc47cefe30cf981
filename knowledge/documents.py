"""Source documents: Markdown files with YAML front matter, split into passages by language."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from i18n.languages import LANGUAGES
from knowledge.errors import KnowledgeError

# libyaml's safe loader when PyYAML was built with it (5x faster at start-up); same rules.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The languages a document or passage may be in: the registered ones (a live view).
LANGS = LANGUAGES
NO_URL = "no public URL known"
BUILTIN_DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"
_HEADING = re.compile(r"^## (?P<lang>[a-z]{2}): (?P<key>[A-Za-z0-9][A-Za-z0-9_-]*)\s*$")
_REQUIRED = ("id", "title", "publisher", "language", "url")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """Where facts come from: one document, as it is cited in answers."""

    id: str
    title: str
    publisher: str
    published: date | None
    language: str
    url: str | None
    call: str | None
    ingested: bool = False
    # The title in other languages (title_sv, title_fi in the front matter), as (lang, title).
    titles: tuple[tuple[str, str], ...] = ()

    def title_in(self, lang: str) -> str:
        """The title in lang where the document gives one, else its own title."""
        return dict(self.titles).get(lang, self.title)


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of text: answers one kind of question, in one language."""

    id: str
    source: Source
    key: str
    lang: str
    text: str


@dataclass(frozen=True)
class Document:
    """A source with its passages."""

    source: Source
    passages: tuple[Passage, ...]
    path: Path


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise KnowledgeError(f"{path}: missing front matter (the file must start with '---')")
    end = text.find("\n---", 3)
    if end < 0:
        raise KnowledgeError(f"{path}: front matter is not closed with '---'")
    try:
        meta = yaml.load(text[3:end], Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{path}: front matter must be a mapping")
    body_start = text.find("\n", end + 4)
    return meta, "" if body_start < 0 else text[body_start + 1 :]


def _source(path: Path, meta: dict[str, Any], ingested: bool) -> Source:
    for name in _REQUIRED:
        if not isinstance(meta.get(name), str) or not meta[name].strip():
            raise KnowledgeError(f"{path}: field '{name}' is required and must be text")
    if meta["language"] not in LANGS:
        raise KnowledgeError(f"{path}: field 'language' must be one of {', '.join(LANGS)}")
    published = meta.get("published")
    if published is not None and not isinstance(published, date):
        raise KnowledgeError(f"{path}: field 'published' must be a date (YYYY-MM-DD) or null")
    url = meta["url"].strip()
    if url != NO_URL and not url.startswith(("http://", "https://")):
        raise KnowledgeError(f"{path}: field 'url' must be an http(s) URL or '{NO_URL}'")
    call = meta.get("call")
    if call is not None and not isinstance(call, str):
        raise KnowledgeError(f"{path}: field 'call' must be text or null")
    titles: list[tuple[str, str]] = []
    for lang in LANGS:
        translated = meta.get(f"title_{lang}")
        if translated is None:
            continue
        if not isinstance(translated, str) or not translated.strip():
            raise KnowledgeError(f"{path}: field 'title_{lang}' must be text")
        titles.append((lang, translated.strip()))
    return Source(
        id=meta["id"].strip(),
        title=meta["title"].strip(),
        publisher=meta["publisher"].strip(),
        published=published,
        language=meta["language"],
        url=None if url == NO_URL else url,
        call=call,
        ingested=ingested,
        titles=tuple(titles),
    )


def _passages(path: Path, source: Source, body: str) -> list[Passage]:
    passages: list[Passage] = []
    lang = key = None
    lines: list[str] = []

    def flush() -> None:
        if lang is None or key is None:
            if "".join(lines).strip():
                raise KnowledgeError(f"{path}: text before the first '## <lang>: <key>' heading")
            return
        text = " ".join(" ".join(lines).split())
        if not text:
            raise KnowledgeError(f"{path}: passage '{lang}: {key}' is empty")
        passages.append(Passage(f"{source.id}#{key}-{lang}", source, key, lang, text))

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            lang, key, lines = match["lang"], match["key"], []
            if lang not in LANGS:
                raise KnowledgeError(f"{path}: passage heading names unknown language '{lang}'")
            continue
        # Ingested text escapes its own '## ' lines with a backslash so they are not headings.
        lines.append(line[1:] if line.startswith("\\## ") else line)
    flush()
    seen: set[str] = set()
    for passage in passages:
        if passage.id in seen:
            raise KnowledgeError(f"{path}: passage '{passage.lang}: {passage.key}' appears twice")
        seen.add(passage.id)
    return passages


def load_document(path: Path, *, ingested: bool = False) -> Document:
    """Read and validate one document file; raises KnowledgeError naming the file and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from None
    meta, body = _split_front_matter(path, text)
    source = _source(path, meta, ingested)
    passages = _passages(path, source, body)
    if not passages:
        raise KnowledgeError(f"{path}: no passages")
    if not ingested:
        # Shipped documents are bilingual at least: every key in English and Swedish.
        by_key: dict[str, set[str]] = {}
        for passage in passages:
            by_key.setdefault(passage.key, set()).add(passage.lang)
        for key, langs in sorted(by_key.items()):
            missing = {"en", "sv"} - langs
            if missing:
                raise KnowledgeError(
                    f"{path}: passage '{key}' lacks language(s) {', '.join(sorted(missing))}"
                )
    return Document(source, tuple(passages), path)


def load_documents(folders: Iterable[tuple[Path, bool]]) -> list[Document]:
    """Load every *.md document of the given (folder, ingested) pairs; ids must be unique."""
    documents: list[Document] = []
    ids: dict[str, Path] = {}
    for folder, ingested in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                doc = load_document(path, ingested=ingested)
            except KnowledgeError as exc:
                if not ingested:
                    raise
                # One damaged operator file must not take the whole assistant down.
                log.warning("skipping ingested document: %s", exc)
                continue
            if doc.source.id in ids:
                raise KnowledgeError(
                    f"{path}: document id '{doc.source.id}' is already used by "
                    f"{ids[doc.source.id]}"
                )
            ids[doc.source.id] = path
            documents.append(doc)
    return documents
