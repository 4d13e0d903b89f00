"""Comment sentiment behind a small interface, so a better analyser can replace the default one.

`analyse(text, language)` returns a SentimentResult(label, score): label one of
feedback.choices.Sentiment, score the compound polarity from −1 to +1 (None when unknown).
settings.SENTIMENT_ANALYSER names the analyser: a dotted path to a callable with the same
signature. The default, `vader_analyse`, scores English with vaderSentiment (compound ≥ 0.05
positive, ≤ −0.05 negative, neutral between, the thresholds its authors recommend) and leaves
every other language, and empty text, unknown. feedback/services/responses.py stores the result
with each response; this module only reads text.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from .choices import Sentiment

logger = logging.getLogger(__name__)

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


@dataclass(frozen=True)
class SentimentResult:
    label: str
    score: float | None = None


UNKNOWN = SentimentResult(Sentiment.UNKNOWN, None)


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label_for(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return Sentiment.POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


def vader_analyse(text: str, language: str) -> SentimentResult:
    """English text scored with VADER; anything else unknown."""
    text = (text or "").strip()
    if not text or (language or "").lower().split("-")[0] != "en":
        return UNKNOWN
    compound = round(_vader().polarity_scores(text)["compound"], 4)
    return SentimentResult(label_for(compound), compound)


def analyse(text: str, language: str) -> SentimentResult:
    """The comment's sentiment by the configured analyser. Raises nothing: a failing analyser gives unknown."""
    try:
        result = import_string(getattr(settings, "SENTIMENT_ANALYSER", "feedback.sentiment.vader_analyse"))(
            text, language
        )
    except Exception:  # sentiment is an extra; it must never lose an answer
        logger.exception("sentiment analyser failed")
        return UNKNOWN
    if result.label not in Sentiment.values:
        return UNKNOWN
    return result
