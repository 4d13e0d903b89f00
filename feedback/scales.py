"""The score scales of the standard survey kinds: the one table that every rule, metric, page, email and
template reads (docs/metrics.md explains each row).

| kind | scale | top box (promoter / satisfied / easy) | middle | bottom box (detractor / dissatisfied / difficult) |
|------|-------|----------------------------------------|--------|----------------------------------------------------|
| NPS  | 0–10  | 9–10                                   | 7–8    | 0–6                                                |
| CSAT | 1–5   | 4–5                                    | 3      | 1–2                                                |
| CES  | 1–7   | 5–7                                    | 4      | 1–3                                                |

Sources: NPS, F. Reichheld, "The One Number You Need to Grow", Harvard Business Review, December 2003
(promoters 9–10, detractors 0–6). CSAT as the top-two-box share of a five-point satisfaction scale (ACSI
practice). CES 2.0, Dixon, Freeman and Toman, "Stop Trying to Delight Your Customers", HBR, July 2010, and the
CEB/Gartner seven-point "the company made it easy" scale (5–7 agree = easy).

A bottom-box answer is what the closed loop calls a detractor: it opens a follow-up case.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import SurveyKind

# A figure resting on fewer answers than this is flagged on the pages, the API and the digest.
SMALL_SAMPLE = 30


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


@dataclass(frozen=True)
class ScoreScale:
    """One standard kind's scale and its three buckets (inclusive bounds, in points of the scale)."""

    kind: str
    low: int
    high: int
    top_box_from: int
    bottom_box_to: int
    # How each bucket is called for this kind, e.g. promoters / passives / detractors for NPS.
    top_box_name: object  # lazy translatable text
    middle_name: object
    bottom_box_name: object

    # ----------------------------------------------------------------- buckets of one score

    def is_top_box(self, score: int | None) -> bool:
        return score is not None and score >= self.top_box_from

    def is_bottom_box(self, score: int | None) -> bool:
        return score is not None and score <= self.bottom_box_to

    def contains(self, score: int) -> bool:
        return self.low <= score <= self.high

    # ----------------------------------------------------------------- texts

    @property
    def scale_range(self) -> str:
        """'0–10'"""
        return _range(self.low, self.high)

    @property
    def top_box_range(self) -> str:
        return _range(self.top_box_from, self.high)

    @property
    def middle_range(self) -> str:
        return _range(self.bottom_box_to + 1, self.top_box_from - 1)

    @property
    def bottom_box_range(self) -> str:
        return _range(self.low, self.bottom_box_to)

    def bucket_names(self) -> dict[str, str]:
        """The three buckets as the pages name them, by the keys the drill-down URLs use (NPS's words for every
        kind): {"promoters": "Promoters (9–10)", "passives": "Passives (7–8)", "detractors": "Detractors (0–6)"};
        for CSAT {"promoters": "Satisfied (4–5)", ...}."""
        return {
            "promoters": f"{str(self.top_box_name).capitalize()} ({self.top_box_range})",
            "passives": f"{str(self.middle_name).capitalize()} ({self.middle_range})",
            "detractors": f"{str(self.bottom_box_name).capitalize()} ({self.bottom_box_range})",
        }


SCALES: dict[str, ScoreScale] = {
    SurveyKind.NPS: ScoreScale(SurveyKind.NPS, 0, 10, 9, 6, _("promoters"), _("passives"), _("detractors")),
    SurveyKind.CSAT: ScoreScale(SurveyKind.CSAT, 1, 5, 4, 2, _("satisfied"), _("neutral"), _("dissatisfied")),
    SurveyKind.CES: ScoreScale(SurveyKind.CES, 1, 7, 5, 3, _("easy"), _("neutral"), _("difficult")),
}


def scale_for(kind: str) -> ScoreScale | None:
    """The kind's scale, or None for a custom survey (whose questions carry their own scales)."""
    return SCALES.get(kind)


def is_detractor(kind: str, score: int | None) -> bool:
    """A bottom-box answer of a standard kind (NPS 0–6, CSAT 1–2, CES 1–3 with the table above); custom surveys
    and skipped scores never are."""
    scale = SCALES.get(kind)
    return scale is not None and scale.is_bottom_box(score)
