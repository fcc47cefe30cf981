"""The fact topics a question can ask about: what each is called, which facts it draws on.

Both the answer path (bot.answering.engine) and the renderer (bot.answering.render) decide
by these tables, so they live here rather than as one module's privates.
"""

from __future__ import annotations

from collections.abc import Callable

from i18n import N_
from knowledge.facts import CallFacts

# The facts behind a topic, for naming the sources an answer draws on (a topic not listed
# draws on the fact of its own name).
TOPIC_FIELDS: dict[str, tuple[str, ...]] = {
    "funding_rate": ("funding_rate", "co_financing"),
    "grant": ("grant", "funding_rate"),
    "budget": ("budget", "objectives"),
    "actions": ("actions", "objectives"),
}
# What a topic is, as a decline names it: "Our sources do not say {what} for {call}".
TOPIC_WHAT: dict[str, str] = {
    "budget": N_("the total budget"),
    "grant": N_("the size of a grant"),
    "funding_rate": N_("the funding rate"),
    "deadline": N_("the deadline"),
    "duration": N_("the duration of projects"),
    "contact": N_("a contact address"),
    "applicants": N_("who may apply"),
    "countries": N_("which countries are eligible"),
    "consortium": N_("consortium rules"),
    "priorities": N_("the priorities"),
    "actions": N_("which activities are funded"),
    "objectives": N_("the specific objectives"),
    "not_funded": N_("what is not funded"),
    "how_to_apply": N_("how to apply"),
    "history": N_("the history of the programme"),
    "network": N_("the European Migration Network"),
    "management": N_("how the budget is managed"),
    "target_group": N_("the target group"),
}
# Topics whose answer is a listing: shown for one call only, never side by side.
LONG_TOPICS = frozenset(
    {
        "priorities",
        "actions",
        "objectives",
        "how_to_apply",
        "history",
        "network",
        "not_funded",
        "applicants",
        "management",
        "countries",
        "target_group",
    }
)


def has_measures(call: CallFacts) -> bool:
    """Whether the call's objectives list measures (what it funds, without examples)."""
    return any(o.measures for o in call.objectives)


_HAS_TOPIC: dict[str, Callable[[CallFacts], object]] = {
    "budget": lambda c: c.budget or any(o.amount for o in c.objectives),
    "grant": lambda c: c.grant_min,
    "funding_rate": lambda c: c.funding_rate or c.co_financing,
    "deadline": lambda c: c.deadline,
    "duration": lambda c: c.duration_months,
    "contact": lambda c: c.contact,
    "applicants": lambda c: c.applicants,
    "countries": lambda c: c.countries,
    "consortium": lambda c: c.consortium,
    "priorities": lambda c: c.priorities,
    "actions": lambda c: c.actions or has_measures(c),
    "objectives": lambda c: c.objectives,
    "not_funded": lambda c: c.not_funded,
    "how_to_apply": lambda c: c.how_to_apply,
    "history": lambda c: c.history,
    "network": lambda c: c.network,
    "management": lambda c: c.management,
    "target_group": lambda c: c.target_group,
}


def has_topic(call: CallFacts, topic: str) -> bool:
    """Whether the call's facts say anything about the topic."""
    return bool(_HAS_TOPIC[topic](call))


# A fact's name (as field_sources and TOPIC_FIELDS call it) -> the CallFacts attribute holding it.
FACT_ATTRIBUTES = {"grant": "grant_min", "duration": "duration_months"}


def field_set(call: CallFacts, name: str) -> bool:
    """Whether the call has a value for the fact called name ("grant" is its minimum)."""
    return bool(getattr(call, FACT_ATTRIBUTES.get(name, name), None))


def topic_facts(call: CallFacts, topic: str) -> list[str]:
    """The facts the call has behind a topic, in TOPIC_FIELDS order: the sources to cite."""
    return [f for f in TOPIC_FIELDS.get(topic, (topic,)) if field_set(call, f)]
