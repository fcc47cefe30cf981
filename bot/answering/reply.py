"""What the assistant says: plain paragraphs, the sources behind them, whether it knew."""

from __future__ import annotations

from dataclasses import dataclass, field

from i18n import translator


@dataclass(frozen=True)
class SourceRef:
    """A cited source as shown to the user."""

    id: str
    title: str
    publisher: str
    url: str | None
    score: float | None
    # The official page of the call the source is about, for a source without a URL of its own.
    page: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the assistant says: plain paragraphs, the sources behind them, whether it knew."""

    lang: str
    answered: bool
    body: tuple[str, ...]
    sources: tuple[SourceRef, ...] = ()
    kind: str = "answer"
    calls: tuple[str, ...] = field(default=())

    def source_lines(self) -> list[str]:
        """The plain-text citation lines, localized."""
        t = translator(self.lang)
        lines = []
        for src in self.sources:
            where = src.url or t.gettext("no public URL known")
            lines.append(
                t.gettext("Source: {title} ({publisher}), {where}").format(
                    title=src.title, publisher=src.publisher, where=where
                )
            )
        return lines

    @property
    def text(self) -> str:
        """The reply as a user reads it, plain text."""
        return "\n\n".join(
            [*self.body, *(["\n".join(self.source_lines())] if self.sources else [])]
        )

    def to_json(self) -> dict[str, object]:
        """The stable JSON shape of `amif-bot ask --json`."""
        return {
            "lang": self.lang,
            "answered": self.answered,
            "text": self.text,
            "sources": [
                {"id": s.id, "title": s.title, "url": s.url, "score": s.score}
                for s in self.sources
            ],
        }
