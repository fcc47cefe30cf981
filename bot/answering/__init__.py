"""The answer path: a question parsed once, candidates ranked together, a cited Reply."""
