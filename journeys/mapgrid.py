"""Turns a map (with its prefetched structure) and its measured figures into what
the map page draws: stage columns, touchpoints grouped by channel, overlay
slots rated against targets, and the designed and measured emotion curves."""

from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import CHANNEL_ICONS, Channel

from .figures import Figures, rate

METRIC_LABELS = {
    "volume": (_("Volume"), ""),
    "csat": ("CSAT", "%"),
    "nps": ("NPS", ""),
    "ces": ("CES", ""),
    "ttr_hours": (_("Time to resolution"), " h"),
}
TARGET_FIELDS = {"csat": "target_csat", "nps": "target_nps", "ces": "target_ces", "ttr_hours": "target_ttr_hours"}

# The emotion chart: one 200-unit column per stage, scores −2..+2 mapped to y 110..10.
COLUMN_WIDTH = 200
CHART_HEIGHT = 120


def emotion_y(score: float) -> float:
    return round(60 - float(score) * 25, 1)


@dataclass
class Metric:
    key: str
    label: str
    value: str
    target: str
    rating: str  # "good", "bad" or ""
    n: int | None = None  # the sample behind the figure, when the provider gives it
    small: bool = False  # the figure rests on fewer than Figures.small_sample samples


@dataclass
class Slot:
    """The overlay slot of one touchpoint or stage."""

    state: str  # "none" (no provider), "error", "empty" (no figures this period), "ok"
    metrics: list[Metric] = field(default_factory=list)


@dataclass
class ChannelGroup:
    channel: str
    label: str
    icon: str
    touchpoints: list = field(default_factory=list)  # (touchpoint, Slot)


@dataclass
class Column:
    stage: object
    groups: list[ChannelGroup]
    slot: Slot
    x: int
    y: float
    measured_emotion: float | None = None
    measured_y: float | None = None


def _fmt(value, unit: str) -> str:
    """A figure with its unit as the page shows it: whole numbers as such, others with one decimal in the
    reader's language's format ("45,2%" in pt-BR)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value}{unit}"
    return f"{floatformat(float(value), 1)}{unit}"


def _slot(figures: Figures, values: dict | None, touchpoint=None) -> Slot:
    if not figures.connected:
        return Slot(state=figures.state)
    if not values:
        return Slot(state="empty")
    metrics = []
    samples = values.get("samples") or {}
    for key, (label, unit) in METRIC_LABELS.items():
        value = values.get(key)
        target = getattr(touchpoint, TARGET_FIELDS[key]) if touchpoint is not None and key in TARGET_FIELDS else None
        n = samples.get(key)
        metrics.append(
            Metric(
                key=key,
                label=label,
                value=_fmt(value, unit),
                target="" if target is None else _fmt(target, unit),
                rating=rate(key, value, target),
                n=n,
                small=value is not None and n is not None and n < figures.small_sample,
            )
        )
    return Slot(state="ok", metrics=metrics)


@dataclass
class MapGrid:
    columns: list[Column]
    width: int
    height: int = CHART_HEIGHT

    @property
    def designed_points(self) -> str:
        return " ".join(f"{c.x},{c.y}" for c in self.columns)

    @property
    def measured_points(self) -> str:
        return " ".join(f"{c.x},{c.measured_y}" for c in self.columns if c.measured_y is not None)

    @property
    def has_measured(self) -> bool:
        return any(c.measured_y is not None for c in self.columns)

    @property
    def grid_lines(self) -> list[dict]:
        return [{"score": s, "y": emotion_y(s)} for s in (2, 1, 0, -1, -2)]


def build_map_grid(journey_map, figures: Figures) -> MapGrid:
    """Uses the prefetched `stages` and their `touchpoints`; no queries of its own."""
    labels = dict(Channel.choices)
    columns = []
    for index, stage in enumerate(journey_map.stages.all()):
        groups: dict[str, ChannelGroup] = {}
        for touchpoint in stage.touchpoints.all():
            group = groups.setdefault(
                touchpoint.channel,
                ChannelGroup(
                    channel=touchpoint.channel,
                    label=str(labels.get(touchpoint.channel, touchpoint.channel)),
                    icon=CHANNEL_ICONS.get(touchpoint.channel, "circle"),
                ),
            )
            group.touchpoints.append((touchpoint, _slot(figures, figures.touchpoints.get(touchpoint.key), touchpoint)))
        stage_values = figures.stages.get(stage.pk)
        measured = stage_values.get("emotion") if stage_values else None
        columns.append(
            Column(
                stage=stage,
                groups=list(groups.values()),
                slot=_slot(figures, stage_values),
                x=index * COLUMN_WIDTH + COLUMN_WIDTH // 2,
                y=emotion_y(stage.emotion_score),
                measured_emotion=measured,
                measured_y=None if measured is None else emotion_y(max(-2.0, min(2.0, float(measured)))),
            )
        )
    return MapGrid(columns=columns, width=max(1, len(columns)) * COLUMN_WIDTH)
