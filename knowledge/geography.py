"""EU geography the checks need: Member States, their regions, and overseas territories."""

from __future__ import annotations

# --- countries ---------------------------------------------------------------------------------
# General knowledge, not from our sources: the 27 EU Member States (ISO codes; the EU writes "EL"
# for Greece, the parser accepts both).
EU_MEMBER_STATES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
# Parts of a Member State (and of the EU) that have ISO codes of their own: Åland and the
# outermost regions (TFEU art. 349/355). Azores, Madeira and the Canaries share PT/ES codes or IC.
EU_REGIONS = {
    "AX": "FI",
    "GP": "FR",
    "MQ": "FR",
    "GF": "FR",
    "RE": "FR",
    "YT": "FR",
    "MF": "FR",
    "IC": "ES",
    "EA": "ES",
}
# Overseas countries and territories linked to a Member State (TFEU Annex II).
OVERSEAS_COUNTRIES_AND_TERRITORIES = {
    "GL": "DK",
    "NC": "FR",
    "PF": "FR",
    "TF": "FR",
    "WF": "FR",
    "PM": "FR",
    "BL": "FR",
    "AW": "NL",
    "CW": "NL",
    "SX": "NL",
    "BQ": "NL",
}
