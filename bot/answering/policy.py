"""Every threshold of the answer path under a name, with the reason for its value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerPolicy:
    """The numbers the answer path decides by; `benchmarks/bench_quality.py` measures them."""

    # Telegram allows 4096 characters; a question is far shorter. Longer input is refused as
    # abuse, not answered in part.
    max_question_chars: int = 2000
    # A passage answers only with at least this BM25 score and this share of the question's stems
    # (below either the reply says it does not know). Calibrated on tests/data/questions.yaml: see
    # the precision/recall table in the README.
    min_score: float = 3.0
    min_stem_share: float = 0.34
    # A second passage is shown when it scores at least this share of the first one's score.
    second_passage_ratio: float = 0.85
    # Short facts are shown for at most this many calls side by side when no call is named.
    max_calls_side_by_side: int = 4
    # A question this short (content words) that names no call continues the previous one's
    # ("and the deadline?", "entä määräaika?").
    follow_up_max_words: int = 4
    # A passage longer than this many words is cut to the sentences that carry the answer.
    key_sentences_from_words: int = 70
    key_sentences: int = 2
    # A "sentence" longer than this (a table or headings without full stops) is cut in halves of
    # this size before the key ones are chosen; real sentences of our documents stay whole.
    key_sentence_max_words: int = 40
    # A passage found in another language's documents through the glossary wins over the
    # question's own language when its stem share is higher by at least this much.
    foreign_share_margin: float = 0.25
    # When the strongest aspect has at most this much evidence (generic words only), a passage
    # with at least passage_over_weak_aspect of the question's stems answers instead of a fact.
    weak_aspect_weight: float = 0.5
    passage_over_weak_aspect: float = 0.6


POLICY = AnswerPolicy()
