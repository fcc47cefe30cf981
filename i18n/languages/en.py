"""English: everything the assistant knows that is specific to English."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from i18n.languages.base import (
    FUNCTION_WEIGHT,
    AnswerWords,
    ChatWords,
    DetectorFeatures,
    DocumentWords,
    LanguagePack,
    QuestionWords,
    words,
)

_DATA = Path(__file__).resolve().parent.parent
_F = FUNCTION_WEIGHT

# --- the detector's word lists (see DetectorFeatures for the tiers) ----------------------------

_FUNCTION = """
a an the and or but nor of to in into onto on at by for from with without within about above
below under over after before during until till since because while though although unless
whether if then than so as such is are was were be been being am do does did doing done have
has had having can could cannot can't will would won't shall should may might must mustn't
need needs what what's which who who's whom whose when where where's why how how's this that
that's these those there there's here it it's its i i'm i've i'd me my mine myself you you're
your yours we we're we've our ours us they they're their theirs them he he's she she's his her
him hers not no yes yeah yep nope don't doesn't didn't isn't aren't wasn't weren't haven't
hasn't any all some many much more most less least also only just still yet each every other
another same own very too both either neither through between against per among across along
around upon toward towards via up down out off again ever never always often sometimes already
soon now later today tomorrow yesterday hello hi hey thanks thank thx ty please pls sorry
okay bye goodbye morning evening afternoon welcome dear regards cheers something anything
nothing everything someone anyone somebody anybody everyone else whatever whoever whichever
however therefore otherwise instead rather quite really actually probably maybe perhaps
mean means does work works make makes made take takes took taken give gives gave given go
goes went gone come comes came see sees saw seen know knows knew known let get gets
give show tell help explain send search write translate list describe summarise summarize
"""

_COMMON = """
deadline deadlines funding fund funds funded grant grants granted apply applying applied
application applications applicant applicants call calls proposal proposals project projects
partner partners partnership eligible eligibility ineligible organisation organisations
organization organizations association associations ngo ngos charity nonprofit non-profit
local authority authorities municipality municipalities city cities region regional rate
rates co-financing cofinancing co-funding submit submitted submission portal document
documents requirement requirements required require requires consortium coordinator
coordinate country countries member state states third national nationals victim victims
trafficking integration asylum money get got receive received contact question questions
help support supported supports open opens opened close closes closed closing date dates
duration month months year years euro euros million millions minimum maximum amount amounts
lump sum sums report reports reporting evaluation evaluated criteria award awarded contract
agreement agreements sign signed signature register registered registration number danish
swedish finnish german french estonian english company companies private public body bodies
entity entities university universities school schools need needed allowed possible include
includes included including cover covers covered cost costs staff salary salaries travel
equipment indirect direct percent percentage total priority priorities topic topics objective
objectives action actions activity activities target group groups women children refugees
migrants migrant return resettlement reception language languages course courses training
housing employment work job jobs education health guide guidance guidelines rule rules
template templates form forms annex annexes page website link find found where tell know
understand explain explained explanation difference check checking start started begin
begins end ends ending finish last latest next previous first second new old long short
small large big high low maximum apply when which many how what applying eligible expense
expenses pay paid payment payments advance prefinancing pre-financing interim final result
results decision decisions announce announced announcement selected selection score scoring
threshold submit deadline extended extension late early time times day days week weeks
answer answers information details detail want wants wanted would like could should
together alone partner lead beneficiary beneficiaries co-beneficiary affiliated entity
organisation's programme program programmes programs work-programme budget budgets
contribution contributions share shares unit units cost-based costs vat tax taxes audit
audits accounting accounts financial statement timesheets timesheet subcontracting
subcontract subcontractor volunteer volunteers unaccompanied minors women children families
people persons person refugee refugees asylum-seekers seekers exploitation prevention
awareness identification assistance reintegration relocation solidarity management
procedure procedures capacity capacities strengthening developing development legal
irregular readmission effective safe dignified common european union commission member
states thematic facility specific emergency shared managed directly indirectly apply
applies applying applied autumn spring summer winter january february march april june
july august september october november december monday tuesday wednesday thursday friday
online electronically system login account upload uploaded download email phone office
officer helpdesk send sent fill filled approved approve rejected reject rejection appeal
complaint consultation meeting webinar info session sessions question yes eligible
"""

_WEAK = """
deadline budget partner partners total portal team stop start info online program
"""

_EVERYDAY = """
work works worked working helps helped ask asks asked answered write writes wrote read reads
say says said speak speaks spoke talk talks talked understood finds keep kept sit stand put
show shows showed shown use uses used using began begun stop stopped continue continued
think thinks thought feel feels felt believe believed hope hoped try tries tried look looks
looked looking wait waiting change changed changes save saved load download called choose
chose chosen decide mean means meant meaning log update updated delete deleted remove
removed add added error errors wrong right correct important easy easily difficult hard
fast quick quickly slow slowly newer young good better best bad worse worst bigger smaller
little longer shorter higher lower full empty ready finished impossible necessary available
current free expensive cheap whole half third fourth fifth one two three four five six
seven eight nine ten twenty hundred thousand word words sentence text page file files
folder picture image list table button window menu settings russian arabic somali human
people child adult family friend friends neighbour neighbor colleague boss board members
chair secretary treasurer employee workplace teacher pupil student studies college
hospital doctor care home house flat apartment town village road street trip car bus train
flight price buy bought sell sold hour hours minute minutes week yesterday noon night
weekend holiday sun rain snow cold warm problem problems issue issues thing things way ways
kind sort part place point case fact example reason idea plan plans choice option options
request requests letter message messages reply replies note notes list address name
surname office team manager director law laws right rights court police health service
services social council government ministry minister agency head world europe sweden
finland denmark norway estonia germany france brussels helsinki stockholm understand
explain happen happens happened arrive arrives arrived allow allows able unable enough
everything anything something whole main other usual usually simple clearly exactly
personal skill skills set run bring build built keep stay leave left living life
migration migrants migrant different various particular especially regarding concerning
"""

_FORMS = """
applications applying approaches arrangements beneficiaries booking building calculated
calculating checking children's communities community completed completing confirmed
considered considering contacted coordinating covering decided described developing
discussed documents employees ensuring established expected experienced explained
following funded gathering happened helping implementing improved including informed
interested involved joined keeping leading looking making meetings needed offering
organised organising participants planned planning prepared preparing presented
provided providing published reached receiving recommended registered related remaining
reported requested required responsible reviewed running selected sending shared showing
signed starting submitted supporting taking thinking throughout travelling trying used
using waiting whether whole without working worked worth writing written wrong yourself
neighbourhood knowledge thoughtful weather whether worthwhile throughout although
thorough enough through thought brought bought caught daughter laughter quickly
certainly highly kindly widely newly shortly previously especially generally usually
strategy society authority quality ability facility opportunity responsibility
"""

_STOP_WORDS = words(
    """
a about above after again against all am an and any are aren as at be because been
before being below between both but by can cannot could did do does doing don down
during each few for from further had has have having he her here hers herself him
himself his how i if in into is isn it its itself just let me more most my myself no
nor not now of off on once only or other ought our ours ourselves out over own please
same shall she should so some such tell than that the their theirs them themselves
then there these they this those through to too under until up very was we were what
when where which while who whom whose why will with would you your yours yourself
yourselves hi hello hey thanks thank know want wants need needs get got give us i'm
much many also like may might must ok okay one
"""
)

# Words at home in other languages too, with the weight they carry for English (see
# DetectorFeatures.shared_words): "i" is how many chat users type "I", and "in" is also a
# Swedish verb particle; "ok" and "info" say nothing about the language.
_SHARED = {
    "i": _F / 2,
    "men": 0.1 * _F,
    "till": 0.25 * _F,
    "under": _F / 2,
    "in": _F,
    "visa": _F / 2,
    "man": 0.25 * _F,
    "ok": 0.0,
    "okay": _F / 3,
    "info": 0.0,
    "vain": 0.1 * _F,
    "on": _F,
    "me": _F,
    "he": _F,
    "all": _F,
    "just": _F,
    "by": _F,
    "is": _F,
    "far": _F / 2,
    "no": _F / 2,
}
_ENDINGS = ("ing", "tions", "ness", "ment", "ments", "ed", "ly", "ies", "ship")
_LETTER_PAIR = re.compile("th|wh|sh|ph")
# Swedish -ning after a consonant (utbildning, upprepning); English has -rning, -nning, -ening.
_NOT_ENGLISH_NING = re.compile(r"[bdfgklmpstv]ning$")


def _spelling(word: str) -> float:
    """English spelling: w, th/wh/sh/ph and its endings; never ä or ö."""
    cue = 0.0
    if "ä" in word or "ö" in word:
        cue -= 2.0
    if "w" in word:
        cue += 1.5
    if _LETTER_PAIR.search(word):
        cue += 0.8
    if len(word) >= 5 and not _NOT_ENGLISH_NING.search(word) and word.endswith(_ENDINGS):
        cue += 0.8
    return cue


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"

# --- the words of call documents, for extracting facts at ingest ---------------------------------

# What a number means is decided by the words around it (see DocumentWords); "before" words
# precede the value in its clause, "after" words follow it closely.
_DOCUMENT_CONTEXT: dict[str, tuple[str, ...]] = {
    "deadline": (
        "deadline*",
        "closing date",
        "closes",
        "close on",
        "closing",
        "submitted by",
        "submit by",
        "submitted no later than",
        "no later than",
        "apply by",
        "applications by",
        "last day",
        "until",
        "due date",
        "cut-off",
        "cutoff",
        "ends on",
    ),
    "deadline_after": ("at the latest",),
    "opens": (
        "opening date",
        "opening",
        "opens",
        "open on",
        "opens on",
        "submission opens",
        "start of submission",
        "starts accepting",
    ),
    "opens_after": (),
    "period": (
        "open between",
        "between",
        "application period",
        "submission period",
        "open from",
        "from",
        "open",
        "runs from",
    ),
    "published": (
        "published",
        "publication date",
        "publication",
        "date of publication",
        "posted",
        "updated",
        "last update",
        "last updated",
    ),
    "published_after": ("was published", "published"),
    "event": (
        "webinar*",
        "info day*",
        "information day*",
        "info session*",
        "training*",
        "workshop*",
        "event*",
        "conference*",
        "meeting*",
        "signature",
        "signing",
        "evaluation",
        "results",
        "notification",
        "take place",
        "takes place",
    ),
    "budget_total": (
        "total budget",
        "overall budget",
        "budget of the call",
        "call budget",
        "total amount",
        "total funding",
        "in total",
        "total of",
        "total",
    ),
    "budget": ("budget*", "available", "allocated", "earmarked", "indicative budget"),
    "budget_after": (
        "is available",
        "are available",
        "available",
        "is allocated",
        "has been allocated",
        "is earmarked",
    ),
    "grant": (
        "grant*",
        "eu contribution",
        "contribution",
        "project size",
        "requested",
        "amount per project",
    ),
    "grant_after": ("per project", "per grant", "per application", "per proposal"),
    "grant_max": (
        "up to",
        "maximum",
        "max",
        "at most",
        "not exceed",
        "no more than",
        "ceiling",
    ),
    "grant_min": ("at least", "minimum", "min", "no less than", "lowest"),
    "rate": (
        "funding rate",
        "co-financing rate",
        "cofinancing rate",
        "co-funding rate",
        "reimbursement rate",
        "cover",
        "covers",
        "covering",
        "coverage",
        "funding of",
        "co-financing of",
    ),
    "rate_after": (
        "of the eligible costs",
        "of eligible costs",
        "of the total eligible costs",
        "of total eligible costs",
        "of the project costs",
        "of total project costs",
        "of the total project costs",
        "of the costs",
        "of costs",
    ),
    "rate_not": (
        "remaining",
        "the rest",
        "own contribution",
        "co-finance",
        "own funds",
        "shared management",
    ),
    "duration": (
        "duration",
        "last",
        "lasts",
        "project length",
        "implementation period",
        "run for",
        "runs for",
        "running for",
    ),
    "consortium": (
        "consortium",
        "consortia",
        "at least",
        "minimum",
        "minimum of",
        "min",
        "composed of",
        "partnership",
    ),
    "entities": (
        "entities",
        "entity",
        "applicants",
        "applicant",
        "partners",
        "partner",
        "organisations",
        "organizations",
        "beneficiaries",
        "legal entities",
        "participants",
    ),
    "countries": ("countries", "country", "member states", "member state", "eu countries"),
    "exclude_before": (
        "excluding",
        "except",
        "except for",
        "with the exception of",
        "other than",
        "apart from",
        "but not",
    ),
    "exclude_after": (
        "does not take part",
        "does not participate",
        "is not taking part",
        "is not participating",
        "is not bound",
        "not participating",
        "is excluded",
        "excluded",
        "is not eligible",
    ),
    "count_label": ("number of", "minimum number of", "min. number of"),
    "title": ("call title", "topic title", "title", "call name", "topic name"),
    "reference": (
        "call reference",
        "call id",
        "call identifier",
        "call number",
        "topic id",
        "reference number",
        "reference",
    ),
}
# Field labels of the operator's ingest report.
_REPORT_LABELS = {
    "references": "call",
    "topics": "topic",
    "title": "title",
    "published": "published",
    "opens": "opens",
    "deadline": "deadline",
    "budget": "budget",
    "topic_budget": "topic budget",
    "grant": "grant",
    "grant_min": "grant at least",
    "grant_max": "grant up to",
    "funding_rate": "funding rate",
    "duration": "duration",
    "months": "months",
    "emails": "contact",
    "min_entities": "consortium: entities",
    "min_countries": "consortium: countries",
    "excluded": "excluded country",
    "nothing": "no call facts found",
    "passage": "passage",
}

_NUMBERS = "one two three four five six seven eight nine ten"
_MONTHS = "january february march april may june july august september october november december"

DOCUMENTS = DocumentWords(
    context=_DOCUMENT_CONTEXT,
    months={
        **{name: i for i, name in enumerate(_MONTHS.split(), 1)},
        **{name[:3]: i for i, name in enumerate(_MONTHS.split(), 1)},
        "sept": 9,
    },
    number_words={"a": 1} | {word: i for i, word in enumerate(_NUMBERS.split(), 1)},
    scales={"thousand": 10**3, "million": 10**6, "millions": 10**6, "billion": 10**9},
    currencies={"euro": "EUR", "euros": "EUR"},
    units={"months": 1, "month": 1, "years": 12, "year": 12},
    zones={
        "brussels time": "Europe/Brussels",
        "brussels local time": "Europe/Brussels",
        "central european time": "Europe/Brussels",
        "central european summer time": "Europe/Brussels",
        "finnish time": "Europe/Helsinki",
        "finland time": "Europe/Helsinki",
        "helsinki time": "Europe/Helsinki",
        "swedish time": "Europe/Stockholm",
        "stockholm time": "Europe/Stockholm",
    },
    countries={
        "AT": ("Austria",),
        "BE": ("Belgium",),
        "BG": ("Bulgaria",),
        "HR": ("Croatia",),
        "CY": ("Cyprus",),
        "CZ": ("Czechia", "Czech Republic"),
        "DK": ("Denmark",),
        "EE": ("Estonia",),
        "FI": ("Finland",),
        "FR": ("France",),
        "DE": ("Germany",),
        "GR": ("Greece",),
        "HU": ("Hungary",),
        "IE": ("Ireland",),
        "IT": ("Italy",),
        "LV": ("Latvia",),
        "LT": ("Lithuania",),
        "LU": ("Luxembourg",),
        "MT": ("Malta*",),
        "NL": ("Netherlands", "the Netherlands"),
        "PL": ("Poland",),
        "PT": ("Portugal",),
        "RO": ("Romania",),
        "SK": ("Slovakia",),
        "SI": ("Slovenia",),
        "ES": ("Spain",),
        "SE": ("Sweden",),
    },
    report_labels=_REPORT_LABELS,
    skip_links=r"skip to (the )?(main )?content|skip to navigation|back to top",
    page="page",
    page_of="of",
    generic_title_words=(
        "call calls amif fund programme national proposals topic asylum migration integration"
        " finland autumn"
    ),
    list_and=("and",),
    before_list=("for", "of", "the"),
)

# --- how questions name calls, timing and comparisons ------------------------------------------

QUESTIONS = QuestionWords(
    call_words=r"calls?",
    national_call_words=r"calls?",
    timing=(
        r"\bstill open\b|\b(is|are) (\w+ )?open\b|\bcan (i|we) apply (to|for) now\b"
        r"|\bopen (now|yet)\b|\bhow (many|much) (days|time|weeks)\b"
        r"|\b(days|time|weeks) (are )?left\b|\bleft to apply\b|\bstill\b"
        r"|\baccepting\b|\bright now\b|\bat the moment\b|\bcurrently\b|\bstatus\b|\bany more\b"
    ),
    comparison=(
        r"compar\w*|vs\.?|versus|differen\w*|higher|lower|bigger|smaller|larger|earlier|later"
    ),
    follow_up=r"and|also|what about|how about",
    seasons=r"autumn|spring",
    before_call=r"s|the|of|from|national\w*",
    after_call=r"of|from|in",
    country_adjectives={
        "FI": ("finnish",),
        "SE": ("swedish",),
        "EE": ("estonian",),
        "DK": ("danish",),
        "DE": ("german",),
    },
    other_funds=(
        r"creative europe|digital europe|cohesion fund|life programme|just transition"
        r"|recovery and resilience"
    ),
    future_calls=r"\b(next|upcoming|future|coming) (amif )?(call|round)\w*|\bnext year\b",
    what_is=r"\bwhat('s| is| are| does)\b|\bstand for\b|\btell me about\b|\bexplain\b",
    listing=(
        r"\b(which|what|any) (amif |eu )?(calls|funding|rounds)\b"
        r"|\bcalls\b.*\b(open|available)\b"
    ),
    objective_before="objective",
    objective_after=r"(?:st|nd|rd|th)?\s*(?:specific )?objective",
    name_words="eu's fund call calls abbreviation mean means stand short",
    small_talk="hi hello hey thanks thank you help start ok okay",
)

PACK = LanguagePack(
    code="en",
    name="English",
    # English readers of EU calls expect "16 February 2021", not the US "February 16, 2021".
    locale="en_GB",
    stemmer="english",
    stop_words=_STOP_WORDS,
    detector=DetectorFeatures(
        function_words=_FUNCTION,
        common_words=_COMMON,
        weak_words=_WEAK,
        everyday_words=_EVERYDAY,
        word_forms=_FORMS,
        # Applicants quote English terms ("lump sum", "co-financing") inside Swedish and Finnish
        # questions far more often than the other way round.
        common_weight=1.25,
        shared_words=_SHARED,
        # Inside a sentence a lone capital "I" is the English pronoun: Swedish "i" is lower-case.
        capitalised_words={"I": _F},
        spelling_cue=_spelling,
    ),
    answers=AnswerWords(
        yes=words("yes y yeah yep yup sure true"),
        no=words("no n nope nah false"),
        unsure=(
            "don't know",
            "dont know",
            "do not know",
            "not sure",
            "unsure",
            "unknown",
            "no idea",
        ),
        none=frozenset({"none", "nothing", "none of these", "none of them"}),
        also=words("and plus"),
        commands={
            "back": frozenset({"back", "go back", "previous", "undo"}),
            "restart": frozenset({"restart", "start over", "start again"}),
            "cancel": words("cancel stop quit exit"),
            "help": words("help info"),
            "done": frozenset(
                {"done", "ready", "finished", "that's all", "thats all", "all done", "no more"}
            ),
            "resume": frozenset({"continue", "continue the check", "resume", "go on"}),
        },
        euro=words("euro euros"),
        other_currencies=words("dollar dollars"),
        thousand=words("thousand thousands"),
        million=words("million millions"),
        approximately=words("about around approx approximately roughly"),
        months=words("mo mos month months"),
        years=words("y yr yrs year years"),
        units={word: value for value, word in enumerate(_UNITS.split())},
        tens={word: 20 + 10 * i for i, word in enumerate(_TENS.split())},
        halves={
            "half a": Decimal("0.5"),
            "a half": Decimal("0.5"),
            "one and a half": Decimal("1.5"),
            "two and a half": Decimal("2.5"),
        },
        country_fillers=words("in from the of"),
        country_aliases={
            "uk": "GB",
            "great britain": "GB",
            "britain": "GB",
            "england": "GB",
            "usa": "US",
            "turkey": "TR",
            "czech republic": "CZ",
            "holland": "NL",
            "ivory coast": "CI",
            "macedonia": "MK",
            "bosnia": "BA",
        },
    ),
    chat=ChatWords(
        thanks=words("thanks thank thx ty cheers thankyou"),
        ack=words("ok okay alright fine cool great perfect nice good got"),
        filler=words("you so very much a lot it that s helpful for the")
        | words("help awesome brilliant all right again and"),
        help=frozenset({"help", "help me", "what can you do", "commands"}),
    ),
    # EU calls close in Brussels time.
    time_zone="Europe/Brussels",
    typed_names=words("english engelska englanti"),
    questions=QUESTIONS,
    documents=DOCUMENTS,
    aspects=_DATA / "aspects" / "en.yaml",
)
