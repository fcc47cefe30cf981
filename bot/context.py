"""Where the bot's services sit on PTB's Application, and the Application's type."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ExtBot

from bot.operator import OperatorFeatures

SERVICES_KEY = "services"
FEATURES_KEY = "operator_features"


# The bot's Application (its callback context is handlers/common.BotContext, which the
# composition root sets; bot/ itself needs only the application's data).
BotApp = Application[ExtBot[None], Any, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def features_of(app: Application[Any, Any, Any, Any, Any, Any]) -> OperatorFeatures:
    """The application's operator features (installed by the composition root)."""
    features = app.bot_data.get(FEATURES_KEY)
    if not isinstance(features, OperatorFeatures):
        raise RuntimeError("operator features are not installed on the application")
    return features
