"""The messages the engine itself shows, and message values rendered later per language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from bot.eligibility.parsing import (
    E_,
)
from knowledge.facts import CallStatus, L10n, Money, When

# --- messages the engine itself shows -----------------------------------------------------------
MSG_PROGRESS = E_("Step {n} of {total}")
MSG_YES = E_("Yes")
MSG_NO = E_("No")
MSG_UNSURE = E_("I don't know")
MSG_FINISH = E_("Done")
MSG_NONE = E_("none")
MSG_MONTHS = (E_("{n} month"), E_("{n} months"))
MSG_SELECTED = E_("Selected so far: {options}")
MSG_AT_START = E_("This is the first question.")
MSG_HELP_MISSING = E_("No further explanation for this question.")
MSG_NUMBER_RANGE = E_("Please give a number from {min} to {max}.")
MSG_MONEY_RANGE = E_("Please give an amount from {min} to {max}.")
MSG_NEED_SELECTION = E_("Choose at least one option first, then press Done.")
MSG_LOG_FULL = E_("This check has taken as many answers as it can hold: press Done or start over.")
MSG_STALE = E_(
    "That button belongs to an earlier question; the check has moved on. Here is where it is now."
)
MSG_CANCELLED = E_("Eligibility check cancelled. Your answers to it have been deleted.")
MSG_PARTNERS_SO_FAR = (
    E_("So far {n} partner: {names}."),
    E_("So far {n} partners: {names}."),
)
MSG_PARTNERS_NONE = E_("No partners entered yet.")
MSG_CONSORTIUM_COUNT = E_(
    "Counting towards the consortium, your own organisation included: organisations {entities}"
    " of {min_entities}, different eligible countries {countries} of {min_countries}."
)
MSG_NOT_COUNTED = E_("Not counted: {names}.")
MSG_UNCLEAR = E_("Count only if associated to AMIF: {names}.")
MSG_DETAIL_ANSWER = E_("Your answer: {answer}")
MSG_NOTED = E_("Not met: {requirement}")
MSG_GOES_ON = E_("You can stop here and see the result, or go on to see every point at the end.")
MSG_DETAIL_RANGE = E_("Your answer: {value}. Allowed: {min} to {max}.")
MSG_DETAIL_COUNTED = E_(
    "Counted: organisations {entities} of {min_entities}, different eligible countries"
    " {countries} of {min_countries} ({names})."
)
MSG_DETAIL_NOTHING_COUNTED = E_("No organisation counts yet.")
MSG_STANDING: dict[str, str] = {
    "member": E_("{country} is an EU Member State taking part in this call."),
    "region": E_("{country} is part of the EU as a region of {parent}."),
    "overseas": E_(
        "{country} is an overseas country or territory of {parent}, which this call includes."
    ),
    "excluded": E_("{country} is excluded from this call."),
    "overseas_of_excluded": E_(
        "{country} is linked to {parent}, which this call excludes; our sources do not say"
        " whether organisations there can take part."
    ),
    "overseas_not_included": E_(
        "{country} is an overseas country or territory, which this call does not include."
    ),
    "overseas_unclear": E_(
        "Our sources do not say whether overseas countries and territories such as {country}"
        " are included."
    ),
    "associated": E_("{country} is associated to AMIF (your answer)."),
    "not_associated": E_("{country} is not associated to AMIF (your answer)."),
    "association_unknown": E_("It is not known yet whether {country} is associated to AMIF."),
    "outside": E_("{country} is outside the EU, and this call takes no associated countries."),
}
MSG_RESULT: dict[str, str | tuple[str, str]] = {
    "eligible": E_("Result: eligible. Every criterion we can check is met."),
    "not_eligible": (
        E_("Result: not eligible as things stand. {n} criterion is not met."),
        E_("Result: not eligible as things stand. {n} criteria are not met."),
    ),
    "cannot_tell": (
        E_("Result: cannot tell yet. {n} point is still open."),
        E_("Result: cannot tell yet. {n} points are still open."),
    ),
}
MSG_MARK = {"pass": E_("met"), "fail": E_("not met"), "unknown": E_("to check")}
MSG_WHAT_TO_DO = E_("What to do: {text}")
MSG_NOTES_HEADING = E_("Good to know")
MSG_ANSWERS_HEADING = E_("Your answers")
MSG_CRITERIA_HEADING = E_("Criteria")
MSG_FOOTER = E_(
    "Checked on {date}. This is guidance drawn from our sources, not an official decision:"
    " the call documents and the funding body decide."
)
MSG_STATUS = {
    CallStatus.OPEN: E_("Call status: open. Applications are accepted until {closes}."),
    CallStatus.CLOSED: E_(
        "Call status: closed on {closes}. Applications can no longer be sent to this call."
    ),
    CallStatus.UPCOMING: E_("Call status: not open yet. Applications can be sent from {opens}."),
}
MSG_STATUS_UNKNOWN = E_(
    "Call status: unknown. Our sources give no deadline for this call: check with the funding"
    " body before you apply."
)
MSG_WINDOW = E_("Application period: {opens} to {closes}.")
MSG_DATE_TIME = E_("{date} at {time} ({zone})")
MSG_ADVICE_UNKNOWN = E_("We could not settle this from your answers: check it before you apply.")
MSG_SHORT_SOURCE = E_("Source: {clause}")
MSG_SOURCES = E_("Source of these points: {sources}")
MSG_SHORT_FOOTER = E_("Checked on {date}. Guidance from our sources, not an official decision.")

ENGINE_MESSAGES: tuple[str | tuple[str, str], ...] = (
    MSG_PROGRESS,
    MSG_YES,
    MSG_NO,
    MSG_UNSURE,
    MSG_FINISH,
    MSG_NONE,
    MSG_MONTHS,
    MSG_SELECTED,
    MSG_AT_START,
    MSG_HELP_MISSING,
    MSG_NUMBER_RANGE,
    MSG_MONEY_RANGE,
    MSG_NEED_SELECTION,
    MSG_LOG_FULL,
    MSG_STALE,
    MSG_CANCELLED,
    MSG_PARTNERS_SO_FAR,
    MSG_PARTNERS_NONE,
    MSG_CONSORTIUM_COUNT,
    MSG_NOT_COUNTED,
    MSG_UNCLEAR,
    MSG_DETAIL_ANSWER,
    MSG_NOTED,
    MSG_GOES_ON,
    MSG_DETAIL_RANGE,
    MSG_DETAIL_COUNTED,
    MSG_DETAIL_NOTHING_COUNTED,
    *MSG_STANDING.values(),
    *MSG_RESULT.values(),
    *MSG_MARK.values(),
    MSG_WHAT_TO_DO,
    MSG_NOTES_HEADING,
    MSG_ANSWERS_HEADING,
    MSG_CRITERIA_HEADING,
    MSG_FOOTER,
    *MSG_STATUS.values(),
    MSG_STATUS_UNKNOWN,
    MSG_WINDOW,
    MSG_DATE_TIME,
    MSG_ADVICE_UNKNOWN,
    MSG_SHORT_SOURCE,
    MSG_SOURCES,
    MSG_SHORT_FOOTER,
)

# --- texts and messages ------------------------------------------------------------------------


# A str is a message id (English text) translated through gettext.
Text: TypeAlias = str | L10n


def euro(amount: Decimal) -> Money:
    """An amount the user gave: the checks ask for euro."""
    return Money(amount, "EUR")


@dataclass(frozen=True)
class Percent:
    """A rate shown as a percentage (0.9 -> 90 %)."""

    rate: Decimal


@dataclass(frozen=True)
class CountryNames:
    """Country codes, shown as names in the reader's language, joined by commas."""

    codes: tuple[str, ...]


@dataclass(frozen=True)
class Labels:
    """Texts (message ids or L10n) shown translated and joined by semicolons."""

    texts: tuple[Text, ...]


@dataclass(frozen=True)
class Count:
    """A whole number with a plural-aware unit message (e.g. '{n} months')."""

    n: int
    forms: tuple[str, str]


@dataclass(frozen=True)
class Message:
    """A message id with its parameters, rendered later in the reader's language."""

    msgid: str
    params: tuple[tuple[str, ParamValue], ...] = ()
    plural: str | None = None
    n: int = 1

    @classmethod
    def of(cls, msgid: str, **params: ParamValue) -> Message:
        """A message with keyword parameters."""
        return cls(msgid, tuple(params.items()))

    @classmethod
    def count(cls, forms: tuple[str, str], n: int, **params: ParamValue) -> Message:
        """A plural message; n is also available as {n}."""
        return cls(forms[0], tuple({"n": n, **params}.items()), forms[1], n)


ParamValue: TypeAlias = (
    int | str | Decimal | date | Money | Percent | CountryNames | Labels | Count | When | Message
)
