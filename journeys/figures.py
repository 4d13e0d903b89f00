"""Measured figures for the map page's overlay slots, through a provider.

Journeys imports nothing from the apps above it. The setting
``JOURNEYS_FIGURES_PROVIDER`` names (dotted path) a function, implemented by the
metrics issue in ``feedback``::

    def provider(journey_map: JourneyMap, period_start: date, period_end: date) -> dict:
        ...

``period_start`` and ``period_end`` are inclusive days in the organisation's time
zone. It returns::

    {
        "touchpoints": {            # by Touchpoint.key; keys without data may be left out
            "retail-checkout-web": {
                "volume": 412,      # int: interactions tagged with the key in the period
                "csat": 81.5,       # float | None: % satisfied (0–100)
                "nps": 23.0,        # float | None: −100..100
                "ces": 5.6,         # float | None: mean customer effort score 1–7, higher = easier
                "ttr_hours": 6.2,   # float | None: mean time to resolution in hours
                "responses": 57,    # int: survey responses behind the scores (optional)
                "samples": {"csat": 20, "nps": 37, "ces": 0, "ttr_hours": 9},  # optional: the n
                                    # behind each figure (answers; resolved cases for ttr_hours)
            },
        },
        "stages": {                 # by Stage.pk of this map; same figures, plus
            17: {"volume": 900, "csat": 78.0, "nps": 10.0, "ces": 5.1, "ttr_hours": 8.0,
                 "responses": 120,
                 "emotion": 0.8},  # float | None: measured emotion on the designed −2..+2 scale
        },
        "small_sample": 30,         # optional: a figure whose sample is under this is flagged
    }

Missing figures are None or absent. With no provider configured the map page
says that no data is connected; a provider that raises is logged and the page
says that figures are unavailable.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

METRICS = ("volume", "csat", "nps", "ces", "ttr_hours")


@dataclass
class Figures:
    """What the overlay slots show. `state` is "none" (no provider), "error" or "ok"."""

    state: str
    touchpoints: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)
    small_sample: int = 0  # figures resting on fewer samples than this are flagged; 0: never

    @property
    def connected(self) -> bool:
        return self.state == "ok"


def figures_for_map(*, journey_map, period_start: date, period_end: date) -> Figures:
    dotted = getattr(settings, "JOURNEYS_FIGURES_PROVIDER", None)
    if not dotted:
        return Figures(state="none")
    try:
        provider = import_string(dotted)
        result = provider(journey_map, period_start, period_end) or {}
        return Figures(
            state="ok",
            touchpoints=dict(result.get("touchpoints") or {}),
            stages={int(k): v for k, v in (result.get("stages") or {}).items()},
            small_sample=int(result.get("small_sample") or 0),
        )
    except Exception:  # a broken provider must not take the map page down
        logger.exception("journeys figures provider %s failed for map %s", dotted, journey_map.pk)
        return Figures(state="error")


def rate(metric: str, value, target) -> str:
    """ "good", "bad" or "" (no value or no target): CSAT, NPS and CES are better
    high, time to resolution better low; volume has no target."""
    if value is None or target is None or metric == "volume":
        return ""
    value, target = float(value), float(target)
    if metric == "ttr_hours":
        return "good" if value <= target else "bad"
    return "good" if value >= target else "bad"
