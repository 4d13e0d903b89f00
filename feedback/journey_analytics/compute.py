"""Materialising journey analytics: customers' interactions on a published map's touchpoint keys turned into
journeys (`CustomerJourney`) and stage visits (`JourneyStageVisit`), set-based in SQL.

The rules (docs/metrics.md, "Journey analytics"):

- a customer's interactions tagged with one of the map's touchpoint keys (any version's: the key carries),
  ordered by (occurred_at, id), form one journey until two of them are more than the map's
  `journey_gap_days` apart; the next one starts a new journey;
- a stage is *entered* by the first interaction of the journey on one of its touchpoints that goes further than
  every interaction before it (its stage comes after the furthest stage reached so far): the running maximum
  of the stage position. The stages between the furthest so far and the one entered are *skipped* (passed at
  that instant; a journey starting after the first stage skips the stages before). An interaction on an
  earlier stage than the furthest (going back) enters nothing;
- a stage is *left* when the journey enters a later stage: time in stage = that instant − its entry;
- the path is the journey's touchpoint keys in order, a key repeated in a row shown once, with the
  interactions tagged with keys of no touchpoint of this map between its first and last interaction (off-map);
- its outcome: the primary NPS and CSAT answers about the map's touchpoints from its start to a gap after
  its end, and whether the customer entered the churned lifecycle stage in that window.

PostgreSQL does it all with window functions and `INSERT … SELECT`; SQLite (3.25+) runs the same window
functions, but builds the path strings in Python (it has no ordered `string_agg`): the documented slower path.
A refresh deletes and re-inserts the rows of the customers it covers in one transaction, so it is idempotent.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from journeys.models import JourneyMap

from ..scales import SCALES
from .models import CustomerJourney, JourneyAnalyticsState, JourneyStageVisit

logger = logging.getLogger(__name__)

PATH_SEPARATOR = " > "
JOURNEY_TABLE = CustomerJourney._meta.db_table
VISIT_TABLE = JourneyStageVisit._meta.db_table


@dataclass(frozen=True)
class Layout:
    """A map as the computation reads it: each touchpoint key's stage, the stages in order, the gap."""

    map_id: int
    stages: tuple[int, ...]  # stage ids by position
    keys: dict[str, int]  # touchpoint key -> stage index
    gap_days: int

    def as_json(self) -> dict:
        return {"stages": list(self.stages), "keys": self.keys, "gap_days": self.gap_days}


def map_layout(journey_map: JourneyMap) -> Layout:
    """The layout of `journey_map` (two queries)."""
    stages = list(journey_map.stages.order_by("position", "id").values_list("pk", flat=True))
    index = {pk: i for i, pk in enumerate(stages)}
    keys = {
        key: index[stage_id]
        for key, stage_id in journey_map.touchpoints.order_by("key").values_list("key", "stage_id")
        if stage_id in index
    }
    return Layout(map_id=journey_map.pk, stages=tuple(stages), keys=keys, gap_days=journey_map.journey_gap_days)


# --------------------------------------------------------------------------- vendor snippets


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _seconds_between(later: str, earlier: str) -> str:
    """SQL for the seconds from `earlier` to `later` (floats; milliseconds on SQLite)."""
    if _pg():
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"(ROUND((julianday({later}) - julianday({earlier})) * 86400000.0) / 1000.0)"


def _plus_seconds(instant: str, seconds: int) -> str:
    if _pg():
        return f"({instant} + INTERVAL '{int(seconds)} seconds')"
    # %% : the query has parameters, so a literal percent sign is doubled (the backends unescape it).
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {instant}, '+{int(seconds)} seconds')"


def _db_instant(value: datetime):
    """A datetime as the database stores it (raw SQL bypasses the ORM's conversion)."""
    return connection.ops.adapt_datetimefield_value(value)


def _values(rows: list[tuple], columns: str) -> tuple[str, list]:
    """A VALUES list with placeholders, as a subquery with named columns."""
    width = len(rows[0])
    placeholders = ", ".join("(" + ", ".join(["%s"] * width) + ")" for _ in rows)
    params = [value for row in rows for value in row]
    names = columns.split(", ")
    if _pg():
        return f"(VALUES {placeholders}) AS {{alias}}({columns})", params
    # SQLite names VALUES columns column1, column2…: rename them in a subquery.
    renamed = ", ".join(f"column{i + 1} AS {name}" for i, name in enumerate(names))
    return f"(SELECT {renamed} FROM (VALUES {placeholders})) AS {{alias}}", params


# --------------------------------------------------------------------------- the refresh


def _scope_sql(since: datetime | None) -> tuple[str, list]:
    """The customers a refresh covers: everyone (None), or those whose history on any map may have changed
    since `since` (an interaction occurred or recorded, an answer, a lifecycle change, a merge or its undo)."""
    if since is None:
        return "", []
    at = _db_instant(since)
    sql = (
        "SELECT customer_id FROM customers_interaction WHERE touchpoint_key <> '' AND (occurred_at >= %s OR "
        "created_at >= %s) UNION SELECT customer_id FROM feedback_response WHERE submitted_at >= %s "
        "UNION SELECT customer_id FROM customers_lifecyclechange WHERE changed_at >= %s "
        "UNION SELECT survivor_id FROM customers_mergerecord WHERE merged_at >= %s OR undone_at >= %s "
        "UNION SELECT merged_id FROM customers_mergerecord WHERE merged_at >= %s OR undone_at >= %s"
    )
    return sql, [at] * 8


def journey_analytics_refresh(*, journey_map: JourneyMap, since: datetime | None = None) -> dict[str, int]:
    """Recompute the journeys and stage visits of `journey_map` for every customer (`since` None) or for the
    customers whose history changed since `since` (an aware datetime), in one transaction; records the layout
    used in `JourneyAnalyticsState`. Idempotent. Returns {"customers": n, "journeys": n, "visits": n}
    (customers: those whose rows were replaced, for a full refresh every customer with a journey)."""
    layout = map_layout(journey_map)
    now = timezone.now()
    scope_sql, scope_params = _scope_sql(since)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS ja_customers")
        if scope_sql:
            cursor.execute(f"CREATE TEMP TABLE ja_customers AS {scope_sql}", scope_params)
            _analyze(cursor, "ja_customers")
            scoped = " AND {alias}.customer_id IN (SELECT customer_id FROM ja_customers)"
        else:
            scoped = ""
        cursor.execute(
            f"DELETE FROM {VISIT_TABLE} WHERE journey_map_id = %s" + scoped.format(alias=VISIT_TABLE), [layout.map_id]
        )
        cursor.execute(
            f"DELETE FROM {JOURNEY_TABLE} WHERE journey_map_id = %s" + scoped.format(alias=JOURNEY_TABLE),
            [layout.map_id],
        )
        journeys = visits = 0
        if layout.keys:
            journeys, visits = _insert(cursor, layout, scoped, now)
        customers = _count_customers(cursor, layout, scope_sql)
        cursor.execute("DROP TABLE IF EXISTS ja_customers")
        JourneyAnalyticsState.objects.update_or_create(
            journey_map_id=layout.map_id, defaults={"layout": layout.as_json(), "computed_at": now}
        )
    logger.info(
        "journey analytics of map %s (%s): %s customers, %s journeys, %s stage visits",
        layout.map_id,
        "all" if since is None else f"since {since:%Y-%m-%d %H:%M}",
        customers,
        journeys,
        visits,
    )
    return {"customers": customers, "journeys": journeys, "visits": visits}


def _count_customers(cursor, layout: Layout, scope_sql: str) -> int:
    if scope_sql:
        cursor.execute("SELECT COUNT(*) FROM ja_customers")
    else:
        cursor.execute(
            f"SELECT COUNT(DISTINCT customer_id) FROM {JOURNEY_TABLE} WHERE journey_map_id = %s", [layout.map_id]
        )
    return cursor.fetchone()[0]


def _insert(cursor, layout: Layout, scoped: str, now: datetime) -> tuple[int, int]:
    gap_seconds = layout.gap_days * 86400
    key_rows = [(key, layout.stages[index], index) for key, index in layout.keys.items()]
    key_values, key_params = _values(key_rows, "tkey, stage_id, stage_idx")
    stage_case = " ".join(f"WHEN {i} THEN {int(pk)}" for i, pk in enumerate(layout.stages))
    where_scope = scoped.format(alias="i")

    # 1. The map's touchpoint interactions of the customers in scope, each with its journey number (a new one
    #    after a gap), the journey's start, the furthest stage before it and the journey's entry channel.
    cursor.execute("DROP TABLE IF EXISTS ja_events")
    cursor.execute(
        f"""
        CREATE TEMP TABLE ja_events AS
        SELECT g.id, g.customer_id, g.occurred_at, g.channel, g.tkey, g.stage_id, g.stage_idx, g.jn,
            MIN(g.occurred_at) OVER journey AS started_at,
            MAX(g.stage_idx) OVER (journey ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max,
            FIRST_VALUE(g.channel) OVER journey AS entry_channel
        FROM (
            SELECT ev.*, SUM(CASE WHEN ev.prev_at IS NULL OR {_seconds_between("ev.occurred_at", "ev.prev_at")} > %s
                THEN 1 ELSE 0 END) OVER (PARTITION BY ev.customer_id ORDER BY ev.occurred_at, ev.id
                ROWS UNBOUNDED PRECEDING) AS jn
            FROM (
                SELECT i.id, i.customer_id, i.occurred_at, i.channel, i.touchpoint_key AS tkey, k.stage_id,
                    k.stage_idx,
                    LAG(i.occurred_at) OVER (PARTITION BY i.customer_id ORDER BY i.occurred_at, i.id) AS prev_at
                FROM customers_interaction i JOIN {key_values.format(alias="k")} ON k.tkey = i.touchpoint_key
                WHERE 1 = 1{where_scope}
            ) ev
        ) g
        WINDOW journey AS (PARTITION BY g.customer_id, g.jn ORDER BY g.occurred_at, g.id)
        """,
        [gap_seconds, *key_params],
    )
    # The journeys are found again by (customer, start): without an index SQLite scans the table per journey.
    cursor.execute("CREATE INDEX ja_events_journey ON ja_events (customer_id, started_at)")
    if scoped:
        _analyze(cursor, "ja_events")

    # 2. One row per journey.
    cursor.execute(
        f"""
        INSERT INTO {JOURNEY_TABLE} (journey_map_id, customer_id, started_at, ended_at, interactions,
            furthest_stage_id, furthest_index, entry_channel, persona_id, first_contact_at, path, skipped,
            reversed, off_map, nps_n, nps_promoters, nps_detractors, csat_n, csat_satisfied, churned, computed_at)
        SELECT %s, e.customer_id, e.started_at, MAX(e.occurred_at), COUNT(*),
            CASE MAX(e.stage_idx) {stage_case} END, MAX(e.stage_idx), MIN(e.entry_channel), c.persona_id,
            COALESCE(c.first_contact_at, e.started_at), '',
            MAX(CASE WHEN e.stage_idx > COALESCE(e.prev_max, -1) + 1 THEN 1 ELSE 0 END) = 1,
            MAX(CASE WHEN e.stage_idx < e.prev_max THEN 1 ELSE 0 END) = 1,
            FALSE, 0, 0, 0, 0, 0, FALSE, %s
        FROM ja_events e JOIN customers_customer c ON c.id = e.customer_id
        GROUP BY e.customer_id, e.jn, e.started_at, c.persona_id, c.first_contact_at
        """,
        [layout.map_id, _db_instant(now)],
    )
    journeys = cursor.rowcount

    # 3. Stage visits: each advance enters its stage and skips those between the furthest before and it.
    stage_values, stage_params = _values([(pk, i) for i, pk in enumerate(layout.stages)], "stage_id, stage_idx")
    cursor.execute(
        f"""
        INSERT INTO {VISIT_TABLE} (journey_id, journey_map_id, customer_id, stage_id, stage_index, entered_at,
            skipped, left_at, next_stage_id, seconds_in_stage)
        SELECT j.id, %s, a.customer_id, s.stage_id, s.stage_idx, a.occurred_at,
            s.stage_idx < a.stage_idx,
            CASE WHEN s.stage_idx < a.stage_idx THEN a.occurred_at ELSE a.next_at END,
            CASE WHEN s.stage_idx < a.stage_idx THEN a.stage_id ELSE a.next_stage_id END,
            CASE WHEN s.stage_idx < a.stage_idx OR a.next_at IS NULL THEN NULL
                ELSE {_seconds_between("a.next_at", "a.occurred_at")} END
        FROM (
            SELECT e.customer_id, e.started_at, e.occurred_at, e.stage_id, e.stage_idx,
                COALESCE(e.prev_max, -1) AS from_idx,
                LEAD(e.occurred_at) OVER advances AS next_at, LEAD(e.stage_id) OVER advances AS next_stage_id
            FROM ja_events e
            WHERE e.prev_max IS NULL OR e.stage_idx > e.prev_max
            WINDOW advances AS (PARTITION BY e.customer_id, e.jn ORDER BY e.occurred_at, e.id)
        ) a
        JOIN {stage_values.format(alias="s")} ON s.stage_idx > a.from_idx AND s.stage_idx <= a.stage_idx
        JOIN {JOURNEY_TABLE} j ON j.journey_map_id = %s AND j.customer_id = a.customer_id
            AND j.started_at = a.started_at
        """,
        [layout.map_id, *stage_params, layout.map_id],
    )
    visits = cursor.rowcount

    # 4. Paths: the journey's keys with the off-map ones between its first and last interaction.
    key_list = list(layout.keys)
    in_keys = ", ".join(["%s"] * len(key_list))
    journey_scope = scoped.format(alias="j")
    cursor.execute("DROP TABLE IF EXISTS ja_steps")
    cursor.execute(
        f"""
        CREATE TEMP TABLE ja_steps AS
        SELECT p.journey_id, p.occurred_at, p.id, p.tkey, p.on_map,
            LAG(p.tkey) OVER (PARTITION BY p.journey_id ORDER BY p.occurred_at, p.id) AS prev_key
        FROM (
            SELECT j.id AS journey_id, e.occurred_at, e.id, e.tkey, 1 AS on_map
            FROM ja_events e JOIN {JOURNEY_TABLE} j ON j.journey_map_id = %s AND j.customer_id = e.customer_id
                AND j.started_at = e.started_at
            UNION ALL
            SELECT j.id, i.occurred_at, i.id, i.touchpoint_key, 0
            FROM {JOURNEY_TABLE} j JOIN customers_interaction i ON i.customer_id = j.customer_id
                AND i.occurred_at > j.started_at AND i.occurred_at < j.ended_at
            WHERE j.journey_map_id = %s{journey_scope} AND i.touchpoint_key <> ''
                AND i.touchpoint_key NOT IN ({in_keys})
        ) p
        """,
        [layout.map_id, layout.map_id, *key_list],
    )
    if _pg():
        cursor.execute(
            f"""
            UPDATE {JOURNEY_TABLE} SET path = x.path, off_map = x.off_map
            FROM (
                SELECT journey_id, string_agg(tkey, %s ORDER BY occurred_at, id) AS path, MIN(on_map) = 0 AS off_map
                FROM ja_steps WHERE prev_key IS NULL OR prev_key <> tkey GROUP BY journey_id
            ) x
            WHERE {JOURNEY_TABLE}.id = x.journey_id
            """,
            [PATH_SEPARATOR],
        )
    else:
        _paths_in_python(cursor)
    cursor.execute("DROP TABLE IF EXISTS ja_steps")

    # 5. Outcomes: answers and churn from the start to a gap after the end.
    nps, csat = SCALES["nps"], SCALES["csat"]
    window_end = _plus_seconds("j.ended_at", gap_seconds)
    cursor.execute(
        f"""
        UPDATE {JOURNEY_TABLE} SET nps_n = x.nps_n, nps_promoters = x.nps_promoters,
            nps_detractors = x.nps_detractors, csat_n = x.csat_n, csat_satisfied = x.csat_satisfied
        FROM (
            SELECT j.id AS journey_id,
                SUM(CASE WHEN r.kind = 'nps' THEN 1 ELSE 0 END) AS nps_n,
                SUM(CASE WHEN r.kind = 'nps' AND r.score >= %s THEN 1 ELSE 0 END) AS nps_promoters,
                SUM(CASE WHEN r.kind = 'nps' AND r.score <= %s THEN 1 ELSE 0 END) AS nps_detractors,
                SUM(CASE WHEN r.kind = 'csat' THEN 1 ELSE 0 END) AS csat_n,
                SUM(CASE WHEN r.kind = 'csat' AND r.score >= %s THEN 1 ELSE 0 END) AS csat_satisfied
            FROM {JOURNEY_TABLE} j JOIN feedback_response r ON r.customer_id = j.customer_id
                AND r.submitted_at >= j.started_at AND r.submitted_at < {window_end}
            WHERE j.journey_map_id = %s{journey_scope} AND r.score IS NOT NULL AND r.kind IN ('nps', 'csat')
                AND r.touchpoint_key IN ({in_keys})
            GROUP BY j.id
        ) x
        WHERE {JOURNEY_TABLE}.id = x.journey_id
        """,
        [nps.top_box_from, nps.bottom_box_to, csat.top_box_from, layout.map_id, *key_list],
    )
    cursor.execute(
        f"""
        UPDATE {JOURNEY_TABLE} SET churned = TRUE
        WHERE id IN (
            SELECT j.id FROM {JOURNEY_TABLE} j JOIN customers_lifecyclechange lc ON lc.customer_id = j.customer_id
                AND lc.to_stage = 'churned' AND lc.changed_at >= j.started_at AND lc.changed_at < {window_end}
            WHERE j.journey_map_id = %s{journey_scope}
        )
        """,
        [layout.map_id],
    )
    cursor.execute("DROP TABLE IF EXISTS ja_events")
    return journeys, visits


def _analyze(cursor, table: str) -> None:
    """PostgreSQL keeps no statistics on a temporary table until asked: the daily increment's few customers
    would otherwise be planned as thousands, with scans of the whole interactions table."""
    if _pg():
        cursor.execute(f"ANALYZE {table}")


def _paths_in_python(cursor) -> None:
    """SQLite: the path strings joined in Python from the ordered steps (no ordered string_agg there)."""
    cursor.execute(
        "SELECT journey_id, tkey, on_map FROM ja_steps WHERE prev_key IS NULL OR prev_key <> tkey "
        "ORDER BY journey_id, occurred_at, id"
    )
    updates, current, keys, off_map = [], None, [], False
    for journey_id, key, on_map in cursor.fetchall():
        if journey_id != current:
            if current is not None:
                updates.append((PATH_SEPARATOR.join(keys), off_map, current))
            current, keys, off_map = journey_id, [], False
        keys.append(key)
        off_map = off_map or not on_map
    if current is not None:
        updates.append((PATH_SEPARATOR.join(keys), off_map, current))
    cursor.executemany(f"UPDATE {JOURNEY_TABLE} SET path = %s, off_map = %s WHERE id = %s", updates)


# --------------------------------------------------------------------------- every published map


def journey_analytics_refresh_all(*, since: datetime | None = None) -> dict[int, dict[str, int]]:
    """The beat's and the backfill's work: every published map refreshed for the customers whose history changed
    since `since` (None: everyone); a map refreshed whole when its layout changed since its last refresh or it
    was never computed. The rows of maps no longer published are deleted. Returns {map id: counts}."""
    published = list(JourneyMap.objects.published().order_by("pk"))
    states = {s.journey_map_id: s.layout for s in JourneyAnalyticsState.objects.all()}
    stale = JourneyAnalyticsState.objects.exclude(journey_map__in=[m.pk for m in published])
    with transaction.atomic():
        JourneyStageVisit.objects.exclude(journey_map__in=[m.pk for m in published]).delete()
        CustomerJourney.objects.exclude(journey_map__in=[m.pk for m in published]).delete()
        stale.delete()
    summary = {}
    for journey_map in published:
        same_layout = states.get(journey_map.pk) == map_layout(journey_map).as_json()
        summary[journey_map.pk] = journey_analytics_refresh(
            journey_map=journey_map, since=since if same_layout else None
        )
    return summary


def journey_analytics_since_days(days: int) -> datetime:
    """The start of the day `days` days before today in TIME_ZONE: the beat's and the backfill's `since`."""
    today = timezone.localdate()
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=timezone.get_default_timezone())
