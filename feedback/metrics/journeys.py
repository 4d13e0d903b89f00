"""The journeys app's figures provider (setting JOURNEYS_FIGURES_PROVIDER), from the daily rollups.

Touchpoint figures are the rollups of the `touchpoint` dimension for the map's keys;
a stage's figures are the sums of its touchpoints' counts (so they are exact, not
averages of averages), and its measured emotion maps each primary score linearly
onto the designed −2..+2 scale (NPS 0→−2, 10→+2; CSAT 1→−2, 5→+2; CES 1→−2, 7→+2)
and averages them.
"""

from collections import defaultdict
from datetime import date

from django.db.models import Sum

from ..models import MetricRollup
from ..scales import SCALES, SMALL_SAMPLE
from . import compute
from .definitions import METRICS, SCORE_METRICS

PROVIDER_METRICS = ("nps", "csat", "ces", "ttr_hours", "interaction_volume")
SAMPLED = ("csat", "nps", "ces", "ttr_hours")


def _emotion_sum(metric_name: str, counts: dict) -> float:
    low, high = SCALES[metric_name].low, SCALES[metric_name].high
    return 4.0 * (counts["value_sum"] - low * counts["n"]) / (high - low) - 2.0 * counts["n"]


def _figures(counts_by_metric: dict, *, with_emotion: bool) -> dict:
    def derived(name):
        counts = counts_by_metric.get(name)
        return METRICS[name].counts_to_row(counts) if counts else {"value": None, "n": 0, "mean": None}

    ttr = derived("ttr_hours")
    figures = {
        "volume": int(counts_by_metric.get("interaction_volume", {}).get("n", 0)),
        "csat": derived("csat")["value"],
        "nps": derived("nps")["value"],
        "ces": derived("ces")["value"],
        "ttr_hours": ttr.get("mean"),  # the interface's figure is the mean (sums re-aggregate exactly)
        "responses": sum(int(counts_by_metric.get(name, {}).get("n", 0)) for name in SCORE_METRICS),
        # the n behind each figure, so the map flags those resting on a small sample
        "samples": {name: int(counts_by_metric.get(name, {}).get("n", 0)) for name in SAMPLED},
    }
    for key in SAMPLED:
        if figures[key] is not None:
            figures[key] = round(figures[key], 2)
    if with_emotion:
        answers = figures["responses"]
        total = sum(_emotion_sum(name, counts_by_metric[name]) for name in SCORE_METRICS if name in counts_by_metric)
        figures["emotion"] = round(total / answers, 2) if answers else None
    return figures


def journey_figures(journey_map, period_start: date, period_end: date) -> dict:
    """provider(journey_map, period_start, period_end) -> {"touchpoints": {key: …}, "stages": {stage pk: …}}."""
    # The map page passes a map with its stages and touchpoints prefetched: no query for the keys then.
    stage_of = {tp.key: stage.pk for stage in journey_map.stages.all() for tp in stage.touchpoints.all()}
    rows = (
        MetricRollup.objects.filter(
            metric__in=PROVIDER_METRICS,
            dimension="touchpoint",
            dimension_value__in=list(stage_of),
            day__gte=period_start,
            day__lte=period_end,
        )
        .values("metric", "dimension_value")
        .annotate(**{name: Sum(name) for name in compute.COUNT_FIELDS})
        .order_by()
    )
    by_key: dict[str, dict] = defaultdict(dict)
    by_stage: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(compute.COUNT_FIELDS, 0)))
    for row in rows:
        counts = {name: row[name] or 0 for name in compute.COUNT_FIELDS}
        by_key[row["dimension_value"]][row["metric"]] = counts
        stage_counts = by_stage[stage_of[row["dimension_value"]]][row["metric"]]
        for name in compute.COUNT_FIELDS:
            stage_counts[name] += counts[name]
    return {
        "touchpoints": {key: _figures(counts, with_emotion=False) for key, counts in by_key.items()},
        "stages": {stage: _figures(dict(counts), with_emotion=True) for stage, counts in by_stage.items()},
        "small_sample": SMALL_SAMPLE,
    }
