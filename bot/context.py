"""PTB's side of the services: the callback context every handler receives, the Application type.

Handlers get typed services from `context.services` (PTB's contexttypesbot pattern) and the
update's UserContext, which is kept on the context because PTB makes one context per update and
hands it to every handler group.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.operator import OperatorFeatures
from bot.services import Services, UserContext

SERVICES_KEY = "services"
FEATURES_KEY = "operator_features"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with typed access to the services (PTB's contexttypesbot pattern).

    PTB makes one context per update and hands the same one to every handler group, so the
    update's UserContext is kept on it (`user_context`) and built only once.
    """

    user_context: UserContext | None = None

    @property
    def services(self) -> Services:
        """The application's services."""
        services = self.application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services):
            raise RuntimeError("services are not attached to the application")
        return services


BotApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def features_of(app: Application[Any, Any, Any, Any, Any, Any]) -> OperatorFeatures:
    """The application's operator features (installed by the composition root)."""
    features = app.bot_data.get(FEATURES_KEY)
    if not isinstance(features, OperatorFeatures):
        raise RuntimeError("operator features are not installed on the application")
    return features
