"""Tables of the rows behind a figure: responses, invitations, cases, interactions or customers."""

from django.db.models import F
from django.urls import reverse

from ..metrics.definitions import METRICS
from ..metrics.reports import Table


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _user(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _customer_link(customer_id) -> str:
    return reverse("customers:customer_detail", args=[customer_id])


def _responses(rows):
    table = Table(
        columns=["Submitted", "Customer", "Survey", "Score", "Channel", "Touchpoint", "Stage", "Agent", "Comment"],
        link_label="customer",
    )
    for r in rows:
        table.add(
            [
                _when(r.submitted_at),
                str(r.customer),
                r.survey.name,
                r.score,
                r.channel,
                r.touchpoint_key,
                r.stage_name,
                _user(r.agent),
                r.comment[:200],
            ],
            _customer_link(r.customer_id),
        )
    return table


def _invitations(rows):
    table = Table(columns=["Sent", "Customer", "Survey", "Channel", "Status", "Answered"], link_label="customer")
    for i in rows:
        table.add(
            [_when(i.sent_at), str(i.customer), i.survey.name, i.channel, i.status, "yes" if i.answered_flag else "no"],
            _customer_link(i.customer_id),
        )
    return table


def _cases(rows, metric):
    table = Table(
        columns=["Case", "Subject", "Customer", "Topic", "Origin", "Assignee", "Opened", "Resolved", "Hours"],
        link_label="case",
    )
    end_field = {"ttr_hours": "resolved_at", "first_response_hours": "first_response_at"}.get(metric.name)
    for c in rows:
        hours = None
        if end_field and getattr(c, end_field):
            hours = (getattr(c, end_field) - c.opened_at).total_seconds() / 3600
        table.add(
            [
                f"#{c.pk}",
                c.subject,
                str(c.customer),
                c.topic,
                c.origin,
                _user(c.assignee),
                _when(c.opened_at),
                _when(c.resolved_at),
                hours,
            ],
            reverse("customers:case_detail", args=[c.pk]),
        )
    return table


def _interactions(rows, metric):
    if metric.source == "campaign":
        table = Table(
            columns=["First sent", "Customer", "Campaign", "Opened", "Clicked", "Converted"], link_label="customer"
        )
        for i in rows:
            table.add(
                [
                    _when(i.occurred_at),
                    str(i.customer),
                    i.campaign,
                    "yes" if i.opened_flag else "no",
                    "yes" if i.clicked_flag else "no",
                    "yes" if i.converted_flag else "no",
                ],
                _customer_link(i.customer_id),
            )
        return table
    table = Table(
        columns=["When", "Customer", "Channel", "Type", "Touchpoint", "Campaign", "Agent", "Summary"],
        link_label="customer",
    )
    for i in rows:
        table.add(
            [
                _when(i.occurred_at),
                str(i.customer),
                i.channel,
                i.type,
                i.touchpoint_key,
                i.campaign,
                _user(i.agent),
                i.summary,
            ],
            _customer_link(i.customer_id),
        )
    return table


def _customers(rows):
    table = Table(columns=["Customer", "Persona", "Stage now", "Churned in the period"], link_label="customer")
    for c in rows:
        table.add(
            [str(c), c.persona.name if c.persona else "", c.lifecycle_stage, "yes" if c.churned_flag else "no"],
            _customer_link(c.pk),
        )
    return table


def drill_rows(metric_name: str, qs):
    """The drill-down queryset shaped for its table (joins, flags); paginate this."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return qs.select_related("customer", "survey", "agent")
    if metric.source == "invitations":
        return qs.select_related("customer", "survey").annotate(answered_flag=F("answered"))
    if metric.source.startswith("cases"):
        return qs.select_related("customer", "assignee")
    if metric.source == "campaign":
        return qs.select_related("customer").annotate(
            opened_flag=F("opened"), clicked_flag=F("clicked"), converted_flag=F("converted")
        )
    if metric.source == "interactions":
        return qs.select_related("customer", "agent")
    return qs.select_related("persona").annotate(churned_flag=F("churned"))


def drill_table(metric_name: str, rows) -> Table:
    """The table of drill-down rows (`drill_rows`, or a page of them), with a link per row."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return _responses(rows)
    if metric.source == "invitations":
        return _invitations(rows)
    if metric.source.startswith("cases"):
        return _cases(rows, metric)
    if metric.source in ("campaign", "interactions"):
        return _interactions(rows, metric)
    return _customers(rows)
