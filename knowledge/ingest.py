"""Ingest operator documents (.txt, .md, .html, .pdf) into the local store of cited passages.

The readers (knowledge.readers) turn a file into text, knowledge.passages cuts it into passages
and knowledge.extraction reads its call facts; this module stores the result. Each source file
becomes one Markdown file `<data_dir>/documents/<id>.md` in the format that
knowledge.documents.load_document reads: YAML front matter, then passages under headings
`## <lang>: p<NNN>`. Passage text is the source's own wording with whitespace normalised; a body
line that would itself start with `## ` is written as `\\## ` (one leading backslash), which the
loader strips again, so source text can never pose as a passage heading.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from i18n.detect import detect_language
from knowledge.analysis import STOP_WORDS
from knowledge.extracted_facts import facts_from_extraction, write_extracted
from knowledge.extraction.model import Extraction
from knowledge.extraction.pipeline import extract_call_facts
from knowledge.facts import EXTRACTED_SUBDIR
from knowledge.passages import split_passages, word_count
from knowledge.readers.base import (
    MAX_PASSAGES_PER_DOCUMENT,
    SUPPORTED_SUFFIXES,
    Budget,
    IngestError,
)
from knowledge.readers.files import read_limited, read_source
from knowledge.tempfiles import create_temp

logger = logging.getLogger(__name__)

DOCUMENTS_FOLDER = "documents"
ID_PREFIX = "op-"
PUBLISHER = "operator upload"
NO_URL = "no public URL known"
LANGS = ("en", "sv", "fi")
# A document's language shows in its first pages; scanning all of a 50 MB file would be slow.
LANGUAGE_SAMPLE_CHARS = 50_000
# A document in another language is refused (see _readable_language): below MIN_FUNCTION_WORD_SHARE
# of its words in every stop-word list, once it has MIN_WORDS_FOR_LANGUAGE_CHECK words.
MIN_FUNCTION_WORD_SHARE = 0.06
MIN_WORDS_FOR_LANGUAGE_CHECK = 40
# Per-passage language detection is unreliable below this many words.
MIN_WORDS_FOR_PASSAGE_LANG = 8
CALL_REFERENCE = re.compile(r"\bAMIF-\d{4}-[A-Z0-9]+(?:-[A-Z0-9]+)*")
_SLUG_MAX_CHARS = 60
_HEX_DIGITS = 8


@dataclass(frozen=True)
class IngestResult:
    """What happened to one source file: the stored document id and passage count, or an error.

    status is "added", "changed", "unchanged" (the stored version already says the same: nothing
    was rewritten), "duplicate" (the same text is stored under another id) or "failed".
    """

    path: Path
    doc_id: str | None
    passages: int
    error: str | None
    status: str = "added"
    # What the document says about its call (None when it failed), and the calls it became.
    extraction: Extraction | None = None
    calls: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Store


def ingest_paths(
    paths: Sequence[Path],
    data_dir: Path,
    now: datetime | None = None,
    verify: Callable[[], object] | None = None,
) -> list[IngestResult]:
    """Ingest files and folders into `<data_dir>/documents`; one result per source file.

    With verify (e.g. loading the knowledge), every file this run wrote is put back as it was
    when verify raises, and the error is raised again: what loaded before an ingest still does.
    """
    documents_dir = data_dir / DOCUMENTS_FOLDER
    if now is None:
        moment = datetime.now(UTC)
    elif now.tzinfo is None:
        moment = now.replace(tzinfo=UTC)  # a naive time is taken to be UTC already
    else:
        moment = now.astimezone(UTC)
    results: list[IngestResult] = []
    digest_by_name: dict[str, str] = {}
    journal: dict[Path, bytes | None] = {}
    stored = _StoredTexts(documents_dir)
    for path, problem in _expand(paths, documents_dir):
        if problem is not None:
            results.append(IngestResult(path, None, 0, problem))
            continue
        try:
            doc_id, count, digest, status, extraction, calls = _ingest_one(
                path, documents_dir, moment, digest_by_name, journal, stored
            )
        except IngestError as exc:
            logger.warning("not ingested: %s: %s", path, exc)
            results.append(IngestResult(path, None, 0, str(exc), "failed"))
            continue
        except Exception as exc:  # one bad file never stops the others
            logger.exception("ingest failed: %s", path)
            results.append(IngestResult(path, None, 0, f"Ingest failed: {exc}", "failed"))
            continue
        digest_by_name[path.name] = digest
        results.append(IngestResult(path, doc_id, count, None, status, extraction, calls))
    if verify is not None and journal:
        try:
            verify()
        except Exception:
            _restore(journal)
            raise
    return results


def _remember(journal: dict[Path, bytes | None], *paths: Path) -> None:
    """Note what files held before this run first changes them."""
    for path in paths:
        if path not in journal:
            journal[path] = path.read_bytes() if path.is_file() else None


def _restore(journal: dict[Path, bytes | None]) -> None:
    """Put every file this run changed back as it was."""
    for path, content in journal.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomically(path, content.decode("utf-8"))
    logger.warning("ingest undone: %d files restored", len(journal))


def _resolved(path: Path) -> tuple[Path | None, str | None]:
    """The real path, or why there is none (Python 3.11 raises RuntimeError on a link loop)."""
    try:
        return path.resolve(), None
    except RuntimeError:
        return None, "The path cannot be read: it is a symbolic link loop."
    except OSError as exc:
        return None, f"The path cannot be read: {exc.strerror or exc}."


def _unreadable(error: OSError, where: str | Path) -> tuple[Path, str]:
    return Path(error.filename or where), f"The folder cannot be read: {error.strerror or error}."


def _expand(paths: Sequence[Path], documents_dir: Path) -> Iterator[tuple[Path, str | None]]:
    seen: set[Path] = set()
    store = documents_dir.resolve()
    for path in paths:
        if not path.is_dir():
            real, problem = _resolved(path)
            if real is None:
                yield path, problem
            elif real not in seen:
                seen.add(real)
                yield path, None
            continue
        found = False
        unreadable: list[OSError] = []
        # os.walk does not follow links to folders, so a loop of folder links cannot recur;
        # a folder it cannot list is reported through onerror instead of silently skipped.
        for root, dirs, files in os.walk(path, onerror=unreadable.append):
            yield from (_unreadable(error, root) for error in unreadable)
            unreadable.clear()
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            root_path = Path(root)
            root_real, problem = _resolved(root_path)
            if root_real is None or root_real == store or store in root_real.parents:
                # Never feed the store its own output back.
                dirs[:] = []
                continue
            for name in sorted(files):
                file_path = root_path / name
                if name.startswith(".") or file_path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                found = True
                real, problem = _resolved(file_path)
                if real is None:
                    yield file_path, problem
                elif real not in seen:
                    seen.add(real)
                    yield file_path, None
        found = found or bool(unreadable)  # reported: not also "no supported documents"
        yield from (_unreadable(error, path) for error in unreadable)
        if not found:
            supported = ", ".join(SUPPORTED_SUFFIXES)
            yield path, f"The folder contains no supported documents ({supported})."


def _ingest_one(
    path: Path,
    documents_dir: Path,
    moment: datetime,
    digest_by_name: dict[str, str],
    journal: dict[Path, bytes | None],
    stored: _StoredTexts,
) -> tuple[str, int, str, str, Extraction | None, tuple[str, ...]]:
    data = read_limited(path)
    digest = hashlib.sha256(data).hexdigest()
    earlier = digest_by_name.get(path.name)
    if earlier is not None and earlier != digest:
        raise IngestError(
            f"Another file named {path.name} with different content was ingested in this run; "
            "rename one of them, or it would replace the other."
        )
    budget = Budget()
    extracted = read_source(path, data, budget)
    passages = split_passages(extracted.text)
    if not passages:
        raise IngestError("The file contains no text to ingest (only boilerplate).")
    if len(passages) > MAX_PASSAGES_PER_DOCUMENT:
        raise IngestError(
            f"The document splits into {len(passages):,} passages, over the limit of "
            f"{MAX_PASSAGES_PER_DOCUMENT:,} passages per document; split it into smaller files."
        )
    budget.check()
    slug = _slugify(path.stem)
    documents_dir.mkdir(parents=True, exist_ok=True)
    text_digest = _text_digest(passages)
    same_text = stored.find(text_digest)
    doc_id = extracted.doc_id or _stable_id(documents_dir, slug, path.name)
    if same_text is not None and same_text != doc_id:
        # The same page saved as .txt and as .html: one document, cited once.
        logger.info("%s has the text of %s, already stored", path, same_text)
        return same_text, len(passages), digest, "duplicate", None, ()
    language = _readable_language(extracted.text[:LANGUAGE_SAMPLE_CHARS])
    extraction = extract_call_facts(
        extracted.text,
        lang=language,
        passages=[(f"p{n:03d}", text) for n, text in enumerate(passages, start=1)],
    )
    budget.check()  # reading the call's facts counts towards the document's time too
    calls = facts_from_extraction(
        extraction, doc_id=doc_id, title=extracted.title or path.name, url=extracted.url
    )
    # Written before the document, so that a stored document always has its facts beside it.
    extracted_dir = documents_dir.parent / EXTRACTED_SUBDIR
    _remember(journal, *extracted_dir.glob(f"{doc_id}.yaml"), *extracted_dir.glob(f"{doc_id}--*"))
    for written in write_extracted(documents_dir.parent, doc_id, calls):
        journal.setdefault(written, None)  # a file that is new to this run
    call_ids = tuple(str(c["id"]) for c in calls)
    call = CALL_REFERENCE.search(f"{extracted.title}\n{extracted.text}")
    front_matter = {
        "id": doc_id,
        "title": extracted.title,
        "publisher": extracted.publisher or PUBLISHER,
        "published": None,
        "language": language,
        "url": extracted.url or NO_URL,
        "call": call.group(0) if call else None,
        "source_file": path.name,
        "text_sha256": text_digest,
        "ingested": moment.isoformat(timespec="seconds"),
    }
    content = _render(front_matter, passages, language, budget)
    target = documents_dir / f"{doc_id}.md"
    if target.exists() and _without_ingest_time(target.read_text("utf-8")) == (
        _without_ingest_time(content)
    ):
        logger.info("%s is unchanged (%s)", path, doc_id)
        return doc_id, len(passages), digest, "unchanged", extraction, call_ids
    status = "changed" if target.exists() else "added"
    _remember(journal, target)
    _write_atomically(target, content)
    stored.add(text_digest, doc_id)
    _remove_earlier_versions(documents_dir, slug, path.name, keep=target)
    logger.info("ingested %s as %s (%d passages, %s)", path, doc_id, len(passages), status)
    return doc_id, len(passages), digest, status, extraction, call_ids


def _readable_language(sample: str) -> str:
    """The document's language, one the assistant reads; IngestError for any other language.

    Running text has many function words: our English, Swedish and Finnish call pages have
    12-39 % of their words in that language's stop-word list; Italian and German call texts
    made for the test score 2-3 % against every list.
    """
    words = re.findall(r"[^\W\d_]+", sample.casefold())
    language = detect_language(sample, default="en").lang
    if len(words) >= MIN_WORDS_FOR_LANGUAGE_CHECK:
        share = max(sum(w in stop for w in words) / len(words) for stop in STOP_WORDS.values())
        if share < MIN_FUNCTION_WORD_SHARE:
            raise IngestError(
                "The document is not in English, Swedish or Finnish, which are the languages "
                "the assistant reads and answers in; nothing of it was stored."
            )
    return language


def _stable_id(documents_dir: Path, slug: str, source_file: str) -> str:
    """The id of a source file: from its name, so a new version keeps it (and facts naming it).

    Two different source files with one slug ("Call 2024.pdf", "call-2024.txt") are told apart
    by a short hash of the file name, never of the content.
    """
    plain = f"{ID_PREFIX}{slug}"
    stored = _stored_source_file(documents_dir / f"{plain}.md")
    if stored is None or stored == source_file:
        return plain
    return f"{plain}-{hashlib.sha256(source_file.encode()).hexdigest()[:6]}"


def _text_digest(passages: list[str]) -> str:
    return hashlib.sha256("\n\n".join(passages).encode("utf-8")).hexdigest()


class _StoredTexts:
    """The stored documents by the digest of their passages, read once per ingest run."""

    def __init__(self, documents_dir: Path) -> None:
        self._documents_dir = documents_dir
        self._ids: dict[str, str] | None = None

    def find(self, digest: str) -> str | None:
        """The id of a stored document whose passages have this digest, if any."""
        if self._ids is None:
            self._ids = {}
            for candidate in sorted(self._documents_dir.glob(f"{ID_PREFIX}*.md")):
                try:
                    with candidate.open(encoding="utf-8") as handle:
                        head = handle.read(4096)
                except (OSError, UnicodeDecodeError):
                    continue
                found = re.search(r"(?m)^text_sha256: ([0-9a-f]{64})$", head)
                if found:
                    self._ids.setdefault(found.group(1), candidate.stem)
        return self._ids.get(digest)

    def add(self, digest: str, doc_id: str) -> None:
        """Note a document this run stored (a new version's text replaces the old one's)."""
        if self._ids is not None:
            self._ids = {d: i for d, i in self._ids.items() if i != doc_id}
            self._ids.setdefault(digest, doc_id)


def _without_ingest_time(content: str) -> str:
    return re.sub(r"(?m)^ingested: .*$", "", content, count=1)


def _slugify(stem: str) -> str:
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug[:_SLUG_MAX_CHARS].rstrip("-") or "document"


def _passage_language(passage: str, document_language: str) -> str:
    if word_count(passage) < MIN_WORDS_FOR_PASSAGE_LANG:
        return document_language
    detection = detect_language(passage, default=document_language)
    if detection.decided and detection.lang in LANGS:
        return detection.lang
    return document_language


def _render(
    front_matter: dict[str, Any], passages: list[str], language: str, budget: Budget
) -> str:
    head = yaml.safe_dump(
        front_matter, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
    )
    parts = [f"---\n{head}---\n"]
    for number, passage in enumerate(passages, start=1):
        if number % 100 == 0:
            budget.check()
        lang = _passage_language(passage, language)
        body = "\n".join(_escape_line(line) for line in passage.split("\n"))
        parts.append(f"\n## {lang}: p{number:03d}\n{body}\n")
    return "".join(parts)


def _escape_line(line: str) -> str:
    return "\\" + line if line.startswith("## ") else line


def _write_atomically(target: Path, content: str) -> None:
    # The temporary name is hidden and not *.md, so a loader never picks up a half-written file.
    fd, temp = create_temp(target.parent, ".ingest-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some platforms and file systems cannot fsync a directory
    finally:
        os.close(fd)


def _remove_earlier_versions(documents_dir: Path, slug: str, source_file: str, keep: Path) -> None:
    # Before ids were stable, each version had the content hash in its name: op-<slug>-<hex8>.
    pattern = re.compile(rf"{re.escape(ID_PREFIX + slug)}-[0-9a-f]{{{_HEX_DIGITS}}}\.md")
    for candidate in documents_dir.iterdir():
        if candidate == keep or not pattern.fullmatch(candidate.name):
            continue
        # Slugs can collide ("Call 2024.pdf", "call-2024.txt"): only the same file name replaces.
        if _stored_source_file(candidate) == source_file:
            candidate.unlink(missing_ok=True)
            logger.info("replaced earlier version %s", candidate.name)


def _stored_source_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        return None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    value = meta.get("source_file") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None
