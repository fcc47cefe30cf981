"""The thin Telegram layer: one module per feature, every handler listed in handlers/routes.py.

Each handler is `async def name(update, context, user)`: `context.services` holds the bot's
services (bot/services.py), `user` the update's UserContext (language, zone, translator, chat
kind, ids). Handlers call one use case in bot/ (the question use case, bot/questions.py; the
eligibility flow, bot/eligibility/flow.py; the Assistant), render, and reply.
"""
