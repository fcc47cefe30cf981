"""What tests share, so that no test imports another test module.

- telegram/: the strict fake of the Bot API (tests.fake_telegram re-exports it), split by
  concern: values, HTML and entities, markup checks, faults, the core, transports, drivers;
- bots: the bot under test (Harness, OperatorBot) and how to build one;
- clock: the suite's today (FIXED_NOW), the moments the knowledge sets, MovingClock;
- processes: `amif-bot` as a process, its environment, loopback ports;
- checks: whole eligibility checks played as a user; questions: the measured question set;
- pdfs: hand-written PDF files; postgres: a database of its own per run.
The fixtures that use them are in tests/conftest.py.
"""
