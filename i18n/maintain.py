"""Developer tool: re-extract messages from the code and update every catalog.

``python -m i18n.maintain`` extracts ``messages.pot`` with Babel, merges it into every registered
language's ``messages.po`` without fuzzy matching (a fuzzy entry would be silently skipped at
compile time), and fills the default (English) catalog with the msgids, which are English
already. New entries of the other languages stay empty until translated; the catalog test fails
until they are.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parent.parent
POT = LOCALES_DIR / "messages.pot"


def extract(target: Path = POT) -> None:
    """Write the message template (messages.pot) from the Python sources."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "pyproject.toml",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--project=amif-assistant",
            "-o",
            str(target),
            "bot",
            "handlers",
            "i18n",
            "knowledge",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def update() -> None:
    """Merge the template into each language's messages.po; fill English msgstrs."""
    for lang in LANGUAGES:
        # Catalog.update() adopts the template's Message objects: read a fresh template per
        # language so filling English msgstrs cannot leak into sv/fi.
        with POT.open("rb") as fh:
            template = read_po(fh)
        po_path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            po_path.parent.mkdir(parents=True, exist_ok=True)
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=lang, project="amif-assistant")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False
        for message in catalog:
            if not message.id:
                continue
            message.flags.discard("fuzzy")
            untranslated = (
                not all(message.string or ())
                if isinstance(message.id, tuple)
                else not message.string
            )
            if lang == DEFAULT_LANGUAGE and untranslated:
                message.string = message.id

        with po_path.open("wb") as fh:
            write_po(
                fh,
                catalog,
                omit_header=False,
                no_location=True,
                sort_output=True,
                ignore_obsolete=True,
                width=99,
            )


if __name__ == "__main__":
    extract()
    update()
    print(f"updated {POT} and {len(LANGUAGES)} catalogs")
