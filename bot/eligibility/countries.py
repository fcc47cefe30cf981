"""Where a country stands under a call's country rules (member, region, associated...)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from bot.eligibility.spec import CountryRules, Result
from knowledge.geography import EU_MEMBER_STATES, EU_REGIONS, OVERSEAS_COUNTRIES_AND_TERRITORIES


class Standing(StrEnum):
    """Where a country stands under a call's country rules."""

    MEMBER = "member"
    REGION = "region"
    OVERSEAS = "overseas"
    EXCLUDED = "excluded"
    OVERSEAS_OF_EXCLUDED = "overseas_of_excluded"
    OVERSEAS_NOT_INCLUDED = "overseas_not_included"
    OVERSEAS_UNCLEAR = "overseas_unclear"
    ASSOCIATED = "associated"
    NOT_ASSOCIATED = "not_associated"
    ASSOCIATION_UNKNOWN = "association_unknown"
    OUTSIDE = "outside"

    @property
    def result(self) -> Result:
        """Whether an organisation from a country of this standing counts."""
        if self in (Standing.MEMBER, Standing.REGION, Standing.OVERSEAS, Standing.ASSOCIATED):
            return Result.PASS
        if self in (
            Standing.OVERSEAS_OF_EXCLUDED,
            Standing.OVERSEAS_UNCLEAR,
            Standing.ASSOCIATION_UNKNOWN,
        ):
            return Result.UNKNOWN
        return Result.FAIL


def country_parent(code: str) -> str | None:
    """The Member State a region or overseas territory belongs to ('GL' -> 'DK'), else None."""
    return EU_REGIONS.get(code) or OVERSEAS_COUNTRIES_AND_TERRITORIES.get(code)


def needs_association_answer(code: str, rules: CountryRules) -> bool:
    """Whether only the user can tell us if this country counts (it is outside the EU)."""
    inside = code in EU_MEMBER_STATES or country_parent(code) is not None
    return rules.associated and not inside and code not in rules.excluded


def country_standing(
    code: str, rules: CountryRules, association: Mapping[str, bool | None]
) -> Standing:
    """Classify a country; `association` holds the user's answers for non-EU countries."""
    member = code if code in EU_MEMBER_STATES else EU_REGIONS.get(code)
    if member is not None:
        if member in rules.excluded or not rules.member_states:
            return Standing.EXCLUDED
        return Standing.MEMBER if member == code else Standing.REGION
    oct_parent = OVERSEAS_COUNTRIES_AND_TERRITORIES.get(code)
    if oct_parent is not None:
        if oct_parent in rules.excluded:
            return Standing.OVERSEAS_OF_EXCLUDED
        if rules.overseas_included is None:
            return Standing.OVERSEAS_UNCLEAR
        return Standing.OVERSEAS if rules.overseas_included else Standing.OVERSEAS_NOT_INCLUDED
    if code in rules.excluded:
        return Standing.EXCLUDED
    if not rules.associated:
        return Standing.OUTSIDE
    answer = association.get(code)
    if answer is None:
        return Standing.ASSOCIATION_UNKNOWN
    return Standing.ASSOCIATED if answer else Standing.NOT_ASSOCIATED
