"""Source files an operator ingests, read into plain text: one module a format.

- ``base``: IngestError, the limits and the time budget every reader keeps, what a reader returns;
- ``plain``, ``markdown``, ``html_page``, ``pdf``: one reader each;
- ``titles``: a document's title from what the reader found;
- ``files``: reading one file within the limits and handing it to its reader.
"""
