"""Which structured fact a question asks for, recognised by keywords in English, Swedish, Finnish.

Order matters: the first topic whose pattern matches wins, so narrower topics come first
("Can a Danish NGO apply?" is about countries, not applicants; "what does AMIF not fund" is not
about funded actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RAW_TOPICS: list[tuple[str, str]] = [
    (
        "network",
        r"european migration network|\bemn\b|migrationsnätverk\w*|muuttoliikeverkost\w*",
    ),
    (
        "history",
        r"\bhistor\w*|\bwhen was\b.*\b(created|established|set up|founded|started)"
        r"|\bprevious (period|fund|programme)|föregå\w*|tidigare (period|program)\w*"
        r"|\bedelli\w*|\baiemp\w*|2014|came before|predecessor|\bexist\w* before\b"
        r"|\b(before|före|ennen( vuotta)?) 2021\b|\bperustettiin\b|\bperustettu\b",
    ),
    (
        "not_funded",
        r"\bnot (fund|financ|cover|eligible for fund)\w*|\b(doesn'?t|don'?t|won'?t) (fund|financ|cover)\w*"
        r"|work practice|internship|work placement|on-the-job"
        r"|\binte (finansier|stöd)\w*|\bfinansierar (den |fonden |amif )?inte|arbetspraktik\w*"
        r"|lärande på arbetsplats\w*|\bei (rahoit|tue)\w*|\brahoiteta\b|työharjoittelu\w*"
        r"|työssäoppi\w*|try out jobs?|job trials?|work trials?|praktikplats\w*|\bpraktik\b"
        r"|harjoittel\w*|työkokeilu\w*",
    ),
    (
        "management",
        r"shared management|direct management|\bmanaged\b|\bmanagement\b|delad förvaltning\w*"
        r"|\bförvalta[rs]?\b|\bförvaltas\b|\bförvaltning\b|\bhallinnoi\w*|\bhallinnointi\w*"
        r"|\bin charge\b|\bdepartment\b|\bdirectorate\w*|\bwho (manages|runs)\b|\bdg home\b"
        r"|\bansvarar för (programmet|fonden)\b|\bpääosasto\w*|\bvastaa (ohjelmasta|rahastosta)\b",
    ),
    (
        "countries",
        r"\bcountr(y|ies)\b|\bdenmark\b|\bdanish\b|\bdanes?\b|\bassociated\b|\bestablished\b"
        r"|member states?|\bnon-eu\b|\bnorway\b|\bnorwegian\b|\bswitzerland\b|\biceland\b"
        r"|\bland(et)?\b|\bländer(na)?\b|\bdanmark\b|\bdansk\w*|\bassocier\w*|medlemsstat\w*"
        r"|\betabler\w*|\bnorge\b|\bnorsk\w*|\bmaa(sta|ssa|t|han|ta|iden|ista|issa|ihin)?\b"
        r"|\btanska\w*|\bassosioi\w*|jäsenvaltio\w*|sijoittautu\w*|\bnorja\w*|\bmaata\b"
        r"|\bcopenhagen\b|\bköpenhamn\b|\bkööpenhamina\w*|\baarhus\b|\bodense\b"
        r"|\boutside the eu\b|\butanför eu\b|\bulkopuol\w*",
    ),
    (
        "consortium",
        r"\bconsorti\w*|\bpartners?\b|\bpartnership\w*|\bhow many (organisations|organizations|"
        r"entities)\b|\bkonsorti\w*|samarbetspart\w*|\bkumppan\w*|\bpartnerit\b|\bpartner(n|s)?\b",
    ),
    (
        "how_to_apply",
        r"\bhow (do|can|should|would|to)\b.*\b(apply|submit|application)\b|application process"
        r"|\bhur (ansöker|söker|lämnar) (man|jag|vi)\b|\bhur gör (man|jag|vi) (en )?ansökan\b"
        r"|\bhur (ska|kan) (man|jag|vi) (ansöka|söka)\b|ansökningsprocess\w*"
        r"|\bhur gör (man|jag|vi) för att (ansöka|söka)\b|\bvem ska (jag|vi) vända (mig|oss) till\b"
        r"|\b(miten|kuinka)\b.*\b(hae\w*|haku\w*|hakem\w*)|hakumenettel\w*|hakuprosess\w*",
    ),
    (
        "deadline",
        r"\bdeadlines?\b|\bclos(e|es|ed|ing)\b|\bdue date\b|\blast day\b|\bsubmit\w* by\b"
        r"|\bopens?\b|\bopen (for|until)\b|\bstill open\b|\bwhen\b.*\b(apply|submit|call|open)"
        r"|\buntil when\b|\bsista (ansökningsdag|dag|dagen)\w*|\bstäng\w*|ansökningstid\w*"
        r"|\böppen\b|\böppnar\b|\bnär\b.*\b(söka|ansöka|lämna|öppen)\b|\bvilka datum\b|\bdates\b"
        r"|\bpäivämäär\w*|\bmihin mennessä\b"
        r"|\bmääräai\w*|\bhakuai\w*|\bpäätty\w*|\bsulkeutu\w*|viimei\w* (hakupäiv|päiv)\w*"
        r"|\baukea\w*|\bauki\b|\bavautu\w*|\btakaraj\w*|\bviimeistään\b"
        r"|\bmilloin\b.*\b(haku|haun|haussa|hae\w*|hakea|hakemu\w*|päätty\w*|sulkeutu\w*|auke\w*"
        r"|jät\w*)\b",
    ),
    (
        "duration",
        r"\bduration\b|\bhow long\b|\bmonths?\b|\blast(s)? for\b|\bhur läng?e\b|\blängd\w*"
        r"|varaktighet\w*|\bmånader\w*|\blöptid\w*|projekttid\w*|\bkesto\w*|\bkestää\b"
        r"|\bkuinka pitkä\w*|\bkuukau\w*",
    ),
    (
        "funding_rate",
        r"funding rate|co-?financ\w*|\bpercent\w*|\bper ?cent\b|%|\bcover(s|ed)?\b"
        r"|own contribution|self-?financ\w*|\brate\b|\bown (money|funds)\b|\bwhole (project|cost)\w*"
        r"|\begen finansiering\b|\bomaa rahaa\b|finansieringsgrad\w*|medfinansier\w*"
        r"|\bprocent\w*|stödnivå\w*|stödandel\w*|\btäck\w*|egen insats\w*|självfinansier\w*"
        r"|rahoitusosuu\w*|tukiprosent\w*|\bprosent\w*|omarahoitu\w*|\bkatta\w*"
        r"|yhteisrahoitu\w*|tukitaso\w*",
    ),
    (
        "budget",
        r"\bbudget\w*|\btotal\w*|\boverall\b|\bin all\b|\bavailable\b|\bhow much money (is|does|do)\b"
        r"|\bsammanlagt\b|\btotalt?\b|\bhur mycket pengar (finns|har)\b|\banslag\w*"
        r"|\bbudjet\w*|\bkokonais\w*|\byhteensä\b|\bmääräraha\w*|\bjaossa\b|\bjaettava\w*"
        r"|\bhow much (money )?is there\b|\bfinns (det )?(att söka|i utlysningen)\b",
    ),
    (
        "grant",
        r"\bgrant (size|amount|range)\b|\bhow (much|big)\b|\bmaxim\w*|\bminim\w*|\bmax\b|\bmin\b"
        r"|\bsize of (the |a )?grant\b|\bper project\b|\bhur (mycket|stor\w*)\b|\bbelopp\w*"
        r"|\bhögst\b|\bminst\b|\bmaximal\w*|\bstorlek\w*|\bpaljonko\b|\bkuinka (paljon|suur\w*)\b"
        r"|\benimmäis\w*|\bvähimmäis\w*|\bsuuruu\w*|\bkokoi\w*|\bsuurin\b|\bpienin\b|\bmiljoon\w*|\bmillion\w*|\bmiljon\w*",
    ),
    (
        "contact",
        r"\bcontact\w*|\be-?mail\w*|\bwho (can|do|should) (i|we) ask\b|\bphone\b|\breach (you|them)\b"
        r"|\bkontakt\w*|\be-?post\w*|\bmejl\w*|\bvem kan (jag|vi) fråga\b|\byhtey\w*|\bsähköpost\w*"
        r"|\bkeneltä\b",
    ),
    (
        "target_group",
        r"target group\w*|\bfor whom\b|third[- ]country nationals?|\bmålgrupp\w*"
        r"|\b(aimed|meant|intended) (at|for)\b|\brikta\w* (sig )?till\b|\bvänd\w* sig till\b"
        r"|\bkenelle\b|\btarkoitettu\w*"
        r"|tredjelandsmedborgar\w*|\bkohderyhm\w*|kolmansien maiden kansalai\w*",
    ),
    ("priorities", r"\bpriorit\w*|\bfocus\w*|\bfokus\w*|\bpainopist\w*|\bpainotu\w*"),
    (
        "objectives",
        r"specific objectives?|\bobjectives?\b|\bgoals?\b|särskilda mål\w*|\bmål(en)?\b|\bsyfte\w*"
        r"|erityistavoit\w*|\btavoit\w*",
    ),
    (
        "applicants",
        r"\bwho (can|may|is allowed to|are eligible|is eligible)\b|\beligib\w*|\bapply\b"
        r"|\bapplicants?\b|\borgani[sz]ations?\b|\bngos?\b|non-?profit|legal person|\bpublic\b"
        r"|\bprivate\b|local authorit\w*|\bvem (kan|får)\b|\bvilka (kan|får)\b|\bbehörig\w*"
        r"|\bsökande\b|\bideell\w*|juridisk person\w*|\bkommun\w*|\bföretag\w*|\bsöka\b"
        r"|\bkuka\b|\bketkä\b|\bkelpoi\w*|\bhakija\w*|\bjärjestö\w*|voittoa tavoittelemat\w*"
        r"|oikeushenkilö\w*|\bkunta\w*|\bkunnat\b|\bhakea\b",
    ),
    (
        "actions",
        r"\bwhat (does|will|can|do)\b.*\bfund\w*|\bactivit\w*|\bactions?\b|what kind of projects?"
        r"|\bmeasures?\b|\bvad finansier\w*|\bvilka (åtgärder|aktiviteter|projekt)\b|\båtgärd\w*"
        r"|\bmitä\b.*\brahoit\w*|\btoimenpit\w*|millaisi\w* (hankkei|projekte)\w*"
        r"|\b(get|receive) (money|funding|a grant) for\b|\bmoney for\b|\b(pengar|stöd) (till|för)\b"
        r"|\brahaa mihin\b|\bmihin\b.*\b(rahaa|tukea|avustusta)\b",
    ),
]


def top_level_alternatives(rx: str) -> list[str]:
    """The alternatives of a pattern's outermost `|`, as written (groups and classes kept whole)."""
    parts: list[str] = []
    depth, start, escaped = 0, 0, False
    class_from = -1  # where the open [...] class began, or -1
    for at, char in enumerate(rx):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif class_from >= 0:
            # A "]" first in a class ("[]x]", "[^]x]") is a member, not its end.
            if char == "]" and at > class_from + 1 and rx[class_from + 1 : at] != "^":
                class_from = -1
        elif char == "[":
            class_from = at
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(rx[start:at])
            start = at + 1
    parts.append(rx[start:])
    return parts


def share_word_boundaries(rx: str) -> str:
    r"""The same pattern with each run of alternatives that start with \b under one \b.

    `\bdeadline|\bclose` and `\b(?:deadline|close)` match the same text at the same place (the
    alternatives keep their order), but inside a word the engine then fails the whole run with
    one test, and at a word start it skips every alternative whose first letter differs without
    entering it: detect_intent runs ~3x faster, and the tables stay readable as written.
    """
    merged: list[str] = []
    run: list[str] = []
    for alternative in [*top_level_alternatives(rx), None]:
        if alternative is not None and alternative.startswith(r"\b"):
            run.append(alternative)
            continue
        if len(run) > 1:
            merged.append(r"\b(?:" + "|".join(a.removeprefix(r"\b") for a in run) + ")")
        else:
            merged.extend(run)
        run = []
        if alternative is not None:
            merged.append(alternative)
    return "|".join(merged)


TOPICS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(share_word_boundaries(rx))) for name, rx in _RAW_TOPICS
]
TOPIC_NAMES = tuple(name for name, _ in TOPICS)


@dataclass(frozen=True)
class Intent:
    """The fact a question asks for and the stretch of text that said so."""

    topic: str
    span: tuple[int, int]


def detect_intent(folded: str) -> Intent | None:
    """The first topic (in priority order) whose keywords occur in the case-folded question."""
    for name, pattern in TOPICS:
        match = pattern.search(folded)
        if match:
            return Intent(name, match.span())
    return None
