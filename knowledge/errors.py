"""Errors raised while loading the knowledge base."""


class KnowledgeError(Exception):
    """A knowledge file is missing, malformed or inconsistent; the message names file and field."""
