"""An alert's sentence in the reader's language, built when it is read from the codes and values the alert keeps
in `detail["text"]` (written by services.alert_raise's callers): the page, the API and the emails show the same
words in each reader's language. An alert stored before those values were kept (or scrubbed by an erasure)
shows its stored `message`.

`detail["text"]` is {"key": <one of TEXT_KEYS>, ...the values its sentence needs}:

- detractor: kind (nps, csat, ces), score, touchpoint (the touchpoint's name, "" for none);
- vip_answered, vip_case_opened (case_id), vip_contact (channel code);
- health_fell: score, from_score, threshold;
- sla_breached: case_id, subject, missed ("first response" or "resolution", as detail["missed"]), due (ISO 8601
  or None);
- repeat_contact: repeats ([{count, touchpoint} or {count, topic}]), days.
"""

from datetime import UTC, datetime

from django.utils.translation import gettext, ngettext

from customers.choices import case_topic_label
from cxcrm.choices import Channel

TEXT_KEYS = (
    "detractor",
    "vip_answered",
    "vip_case_opened",
    "vip_contact",
    "health_fell",
    "sla_breached",
    "repeat_contact",
)


def _channel_label(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def _due(value) -> str:
    """A due time as the alert states it: "2026-03-02 14:00 UTC" (the moment, the same for every reader)."""
    return f"{datetime.fromisoformat(value).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def repeat_sentence(item: dict) -> str:
    """One repeat of a repeat-contact alert: "3 contacts on Web checkout" / "3 contacts about refund"."""
    count = item["count"]
    if "touchpoint" in item:
        sentence = ngettext("%(count)s contact on %(touchpoint)s", "%(count)s contacts on %(touchpoint)s", count)
        return sentence % {"count": count, "touchpoint": item["touchpoint"]}
    sentence = ngettext("%(count)s contact about %(topic)s", "%(count)s contacts about %(topic)s", count)
    return sentence % {"count": count, "topic": case_topic_label(item["topic"])}


def alert_sentence(text: dict, customer) -> str:
    """The sentence of `text` (an alert's detail["text"]) about `customer` in the active language.

    Raises KeyError, TypeError or ValueError when `text` lacks a value its key needs."""
    key, customer = text["key"], str(customer)
    if key == "detractor":
        values = {"customer": customer, "kind": text["kind"].upper(), "score": text["score"]}
        if text.get("touchpoint"):
            sentence = gettext("%(customer)s is a detractor: %(kind)s %(score)s about %(touchpoint)s")
            return sentence % {**values, "touchpoint": text["touchpoint"]}
        return gettext("%(customer)s is a detractor: %(kind)s %(score)s") % values
    if key == "vip_answered":
        return gettext("VIP customer %(customer)s answered a survey") % {"customer": customer}
    if key == "vip_case_opened":
        sentence = gettext("VIP customer %(customer)s opened case #%(case)s")
        return sentence % {"customer": customer, "case": text["case_id"]}
    if key == "vip_contact":
        sentence = gettext("VIP customer %(customer)s got in touch (%(channel)s)")
        return sentence % {"customer": customer, "channel": _channel_label(text["channel"])}
    if key == "health_fell":
        sentence = gettext("%(customer)s's health fell to %(score)s (from %(from_score)s; below %(threshold)s)")
        return sentence % {
            "customer": customer,
            "score": text["score"],
            "from_score": text["from_score"],
            "threshold": text["threshold"],
        }
    if key == "sla_breached":
        values = {"case": text["case_id"], "subject": text["subject"], "customer": customer}
        if text.get("due"):
            values["due"] = _due(text["due"])
            if text["missed"] == "first response":
                sentence = gettext(
                    'Case #%(case)s "%(subject)s" of %(customer)s breached its SLA: first response was due %(due)s'
                )
            else:
                sentence = gettext(
                    'Case #%(case)s "%(subject)s" of %(customer)s breached its SLA: resolution was due %(due)s'
                )
        elif text["missed"] == "first response":
            sentence = gettext('Case #%(case)s "%(subject)s" of %(customer)s breached its SLA: first response')
        else:
            sentence = gettext('Case #%(case)s "%(subject)s" of %(customer)s breached its SLA: resolution')
        return sentence % values
    if key == "repeat_contact":
        days = text["days"]
        sentence = ngettext(
            "%(customer)s contacted us again: %(repeats)s within %(days)s day",
            "%(customer)s contacted us again: %(repeats)s within %(days)s days",
            days,
        )
        repeats = ", ".join(repeat_sentence(item) for item in text["repeats"])
        return sentence % {"customer": customer, "repeats": repeats, "days": days}
    raise KeyError(key)


def alert_text(alert) -> str:
    """The alert's sentence in the active language (the customer by their name now); its stored `message` when
    it keeps no values to build one from (raised before they were kept, or erased) or they do not fit."""
    text = (alert.detail or {}).get("text") if isinstance(alert.detail, dict) else None
    if not isinstance(text, dict) or text.get("key") not in TEXT_KEYS:
        return alert.message
    try:
        return alert_sentence(text, alert.customer)
    except (KeyError, TypeError, ValueError):
        return alert.message
