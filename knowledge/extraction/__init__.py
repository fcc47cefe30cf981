"""Call facts read out of an ingested document, each value citing the passage it came from.

One concern a module, in the order a document goes through them:

- ``words``: the language tables (context words, months, zones, number words, countries, labels);
- ``patterns``: the regular expressions built once from those tables;
- ``model``: what extraction returns (``Extraction``, ``Cited``, ``Moment``);
- ``spans``: passages, candidates, the clause around a value, the choice among candidates;
- ``references``, ``dates``, ``money``, ``rates``, ``parties``: one finder each;
- ``pipeline``: ``extract_call_facts``, every finder over one document;
- ``report``: ``describe`` (the operator's ingest report) and ``as_dict`` (``--json``).
"""
