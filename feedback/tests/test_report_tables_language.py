"""Report tables, drill-down buckets and channel errors read in the reader's language, exports keep their codes."""

from datetime import date

from django.utils import translation

from cxcrm.choices import channel_unknown
from feedback.metrics.definitions import METRICS
from feedback.reports import tables
from feedback.reports.drill import bucket_name


def headers(table) -> list[str]:
    return [str(column.header) for column in table.columns if column.visible and column.name != "side"]


def test_a_trend_tables_periods_are_dates_in_the_readers_format_and_iso_in_the_export():
    series = {"nps": [{"value": 45.2, "n": 31}]}

    with translation.override("pt-br"):
        table = tables.trend_table(series, start=date(2026, 9, 1), end=date(2026, 9, 6), granularity="week")
        period, nps = str(table.rows[0].get_cell("c0")), str(table.rows[0].get_cell("c1"))
        exported = list(table.as_values())

    assert (period, nps) == ("01/09/2026", "45,2")
    assert exported[1][:2] == ["2026-09-01", "45.2"]


def test_the_topics_tables_periods_head_their_columns_in_the_readers_format_and_in_iso_in_the_export():
    rows = [("billing", [0, 2], 2)]

    with translation.override("pl"):
        table = tables.topics_table([date(2026, 9, 1), date(2026, 9, 7)], rows, link=lambda topic: None)
        shown_headers = headers(table)
        exported = list(table.as_values())[0]

    assert shown_headers[1:3] == ["01.09.2026", "07.09.2026"]
    assert exported == ["topic", "topic_label", "2026-09-01", "2026-09-07", "Total", "Share (%)"]


def test_a_breakdown_names_the_answers_counted_in_the_readers_language_and_by_their_codes_in_the_export():
    rows = [
        {"dimension_value": "chat", "value": 25.0, "n": 4, "promoters": 2, "passives": 1, "detractors": 1},
    ]

    with translation.override("pt-br"):
        table = tables.breakdown_table(
            METRICS["nps"], rows, dimension="channel", labels={"chat": "Chat"}, link=lambda value: None
        )
        shown_headers = headers(table)
        exported = list(table.as_values())[0]

    assert shown_headers[-3:] == ["Promotores", "Neutros", "Detratores"]
    assert exported[-3:] == ["promoters", "passives", "detractors"]


def test_a_trend_tables_export_heads_each_metric_with_its_unit_in_english_in_every_language():
    series = {"nps": [{"value": 45.2, "n": 31}], "ces": [{"value": 5.1, "n": 9}]}

    with translation.override("pl"):
        table = tables.trend_table(series, start=date(2026, 9, 1), end=date(2026, 9, 6), granularity="week")
        shown_headers = headers(table)
        exported = list(table.as_values())[0]

    assert shown_headers[1] == "NPS (pkt)"
    assert exported[1:] == ["NPS (points)", "NPS n", "CES (score)", "CES n"]


def test_the_health_table_reads_in_the_readers_language_its_export_in_english_with_iso_periods():
    series = [
        {
            "period_start": date(2026, 11, 23),
            "dimension_value": "",
            "value": 82.9,
            "n": 71,
            "below": 1,
            "below_share": 1.4,
        }
    ]

    with translation.override("pt-br"):
        table = tables.health_table(series, dimension="persona", labels={"": "(nenhum)"}, link=lambda r: "/x/")
        shown_headers = headers(table)
        period = str(table.rows[0].get_cell("c0"))
        side = str(table.rows[0].get_cell("side"))
        exported = list(table.as_values())

    assert shown_headers[:6] == ["Período", "Persona", "Saúde média", "n", "Abaixo do limite", "Abaixo do limite (%)"]
    assert period == "23/11/2026"
    assert "clientes" in side
    assert exported[0][:4] == ["Period", "persona", "persona_label", "Average health"]
    assert exported[1][2:4] == ["(nenhum)", "82.9"] and exported[1][0] == "2026-11-23"


def test_a_campaigns_drill_down_names_its_buckets_in_the_readers_language():
    with translation.override("pt-br"):
        assert [bucket_name("open_rate", b) for b in ("opened", "clicked", "converted")] == [
            "Abriram",
            "Clicaram",
            "Converteram",
        ]
    with translation.override("en"):
        assert bucket_name("ctr", "clicked") == "Clicked"


def test_an_unknown_channel_is_refused_in_the_readers_language_listing_the_codes():
    with translation.override("pl"):
        message = channel_unknown("pigeon")

    assert message.startswith('"pigeon" nie jest prawidłowym wyborem. Kanały: email, phone, chat,')
    assert "whatsapp" in message


def test_the_worst_touchpoints_show_names_only_and_export_codes_beside_them():
    rows = [
        {
            "name": "Live chat",
            "key": "support-chat",
            "journey": "Support",
            "stage": "Contact",
            "metric": "csat",
            "label": METRICS["csat"].label,
            "value": 33.3,
            "target": 80.0,
            "missed": True,
            "n": 40,
        }
    ]

    with translation.override("pt-br"):
        table = tables.touchpoints_table(rows, link=lambda r: None)
        shown_cells = [str(table.rows[0].get_cell(c.name)) for c in table.columns if c.visible and c.name != "side"]
        exported = list(table.as_values())

    assert "support-chat" not in shown_cells and "csat" not in shown_cells
    assert shown_cells[0] == "Live chat"
    assert exported[0][:6] == ["touchpoint", "touchpoint_label", "Journey", "Stage", "metric", "metric_label"]
    assert exported[1][:6] == ["support-chat", "Live chat", "Support", "Contact", "csat", "CSAT"]


def test_a_touchpoints_gap_in_points_is_abbreviated_in_the_readers_language():
    row = {"name": "Phone support", "key": "support-phone", "journey": "Support", "stage": "Contact", "n": 4}
    row |= {"metric": "csat", "label": METRICS["csat"].label, "value": 0.0, "target": 80.0, "missed": True}

    with translation.override("pl"):
        table = tables.touchpoints_table([row], link=lambda r: None)
        against = str(table.rows[0].get_cell("c8"))

    assert against == "chybiony o 80,0 pkt"
