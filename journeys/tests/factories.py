import factory

from cxcrm.choices import Channel
from journeys.choices import Department, MapStatus, TouchpointKind
from journeys.models import JourneyMap, Persona, Stage, Touchpoint


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    name = factory.Sequence(lambda n: f"Persona {n}")
    summary = "A persona for tests"
    goals = "Get things done"
    frustrations = "Waiting"
    motivations = "Feeling in control"
    preferred_channels = factory.LazyFunction(lambda: ["email", "chat"])


class JourneyMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JourneyMap

    name = factory.Sequence(lambda n: f"Journey {n}")
    persona = factory.SubFactory(PersonaFactory)
    description = "A journey for tests"
    status = MapStatus.DRAFT
    version = 1


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    journey_map = factory.SubFactory(JourneyMapFactory)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Stage {n}")
    customer_goal = "Goal text"
    actions = "Action text"
    thoughts = "Thought text"
    emotion_score = 0
    emotion_label = "Neutral"
    pain_points = "Pain text"
    opportunities = "Opportunity text"


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    stage = factory.SubFactory(StageFactory)
    journey_map = factory.SelfAttribute("stage.journey_map")
    published = factory.LazyAttribute(lambda o: o.stage.journey_map.status == MapStatus.PUBLISHED)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Touchpoint {n}")
    key = factory.Sequence(lambda n: f"tp-{n}")
    channel = Channel.WEB
    department = Department.SUPPORT
    kind = TouchpointKind.DIGITAL
    target_csat = 80


def build_map(*, stages: int = 3, touchpoints_per_stage: int = 2, status=MapStatus.DRAFT, key_prefix=None, **kwargs):
    """A complete map: `stages` stages with `touchpoints_per_stage` touchpoints each (bulk-created)."""
    journey_map = JourneyMapFactory(status=status, **kwargs)
    prefix = key_prefix or f"m{journey_map.pk}"
    stage_rows = Stage.objects.bulk_create(
        Stage(
            journey_map=journey_map,
            position=i,
            name=f"Stage {i}",
            customer_goal=f"Goal {i}",
            actions=f"Actions {i}",
            thoughts=f"Thoughts {i}",
            emotion_score=(i % 5) - 2,
            emotion_label=f"Feeling {i}",
            pain_points=f"Pain {i}",
            opportunities=f"Opportunity {i}",
        )
        for i in range(stages)
    )
    channels = list(Channel.values)
    Touchpoint.objects.bulk_create(
        Touchpoint(
            journey_map=journey_map,
            stage=stage,
            position=j,
            name=f"Touchpoint {i}.{j}",
            key=f"{prefix}-{i}-{j}",
            channel=channels[(i + j) % len(channels)],
            department=Department.SUPPORT,
            kind=TouchpointKind.DIGITAL,
            target_csat=80,
            target_ttr_hours=4,
            published=status == MapStatus.PUBLISHED,
        )
        for i, stage in enumerate(stage_rows)
        for j in range(touchpoints_per_stage)
    )
    return journey_map
