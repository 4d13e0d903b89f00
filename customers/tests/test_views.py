"""The customers pages as a rep uses them: find, read, filter, log, open and resolve, note,
fix the profile, add an identity, merge; My work and the cases list; roles and query bounds."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from customers.choices import CaseStatus, Direction, IdentityKind, InteractionType, LifecycleStage, SuggestionStatus
from customers.models import Case, Interaction, LifecycleChange, MergeRecord, MergeSuggestion, Note
from customers.services import (
    case_create,
    case_update,
    customer_merge,
    interaction_ingest,
    interaction_input_parse,
)
from cxcrm.choices import Channel, Role
from cxcrm.tests.factories import UserFactory
from journeys.tests.factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory

from .factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory, NoteFactory

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page's visible text, whitespace collapsed (tags dropped)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(response)))


@pytest.fixture(autouse=True)
def _no_panels(settings):
    """The customer page as customers alone renders it (other apps' panels are tested by them)."""
    settings.CUSTOMER_PAGE_PANELS = []


@pytest.fixture
def touchpoint():
    journey_map = JourneyMapFactory(name="Support", status="published")
    stage = StageFactory(journey_map=journey_map, name="Contact")
    return TouchpointFactory(stage=stage, key="support-phone", name="Phone support", channel="phone", published=True)


@pytest.fixture
def ana(rep_user):
    persona = PersonaFactory(name="Loyal Lorena")
    customer = CustomerFactory(
        first_name="Ana",
        last_name="Silva",
        language="pt-br",
        lifecycle_stage=LifecycleStage.ACTIVE,
        persona=persona,
        owner=rep_user,
        marketing_consent=True,
        survey_opt_out=True,
        first_contact_at=timezone.now() - timedelta(days=300),
        last_contact_at=timezone.now() - timedelta(hours=1),
    )
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value="+5511912345678")
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value="ana@example.com")
    IdentityFactory(customer=customer, kind=IdentityKind.HANDLE, network="instagram", value="ana.s")
    return customer


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


def detail_url(customer):
    return reverse("customers:customer_detail", args=[customer.pk])


# --------------------------------------------------------------------------- anonymous users and roles


@pytest.mark.parametrize(
    "name,args",
    [
        ("customers:customer_list", []),
        ("customers:my_work", []),
        ("customers:case_list", []),
        ("customers:case_export", []),
        ("customers:customer_detail", [1]),
        ("customers:timeline", [1]),
        ("customers:case_detail", [1]),
        ("customers:merge_preview", [1, 2]),
    ],
)
def test_anonymous_users_are_sent_to_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login")) and "next=" in response.url


def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, ana):
    response = client.post(reverse("customers:note_create", args=[ana.pk]), {"note-body": "Hi"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Note.objects.exists()


def test_marketer_reads_the_customer_but_gets_no_case_or_edit_forms(client, marketer_user, ana):
    CaseFactory(customer=ana, subject="Refund pending")
    InteractionFactory(customer=ana, summary="Opened the newsletter")
    client.force_login(marketer_user)
    response = client.get(detail_url(ana))
    page = html_of(response)
    assert response.status_code == 200
    assert "Opened the newsletter" in page
    for testid in ("form-case", "form-note", "form-profile", "form-identity", "form-log", "open-cases"):
        assert f'data-testid="{testid}"' not in page
    assert "Refund pending" not in page


def test_marketer_sees_the_timeline_without_the_cases_it_may_not_open(client, marketer_user, ana):
    case = CaseFactory(customer=ana, subject="Chargeback dispute")
    InteractionFactory(customer=ana, case=case, summary="Replied about the dispute")
    client.force_login(marketer_user)
    for url in (detail_url(ana), reverse("customers:timeline", args=[ana.pk])):
        response = client.get(url)
        assert "Replied about the dispute" in text_of(response)
        assert "Chargeback dispute" not in text_of(response)
        assert reverse("customers:case_detail", args=[case.pk]) not in html_of(response)


@pytest.mark.parametrize(
    "name,data",
    [
        ("customers:case_open", {"case-subject": "Hack", "case-origin": "phone", "case-priority": "normal"}),
        ("customers:note_create", {"note-body": "Hi"}),
        ("customers:profile_update", {"profile-lifecycle_stage": "churned", "profile-language": "en"}),
        ("customers:identity_add", {"identity-kind": "email", "identity-value": "x@example.com"}),
        ("customers:interaction_log", {"log-channel": "phone", "log-summary": "x"}),
    ],
)
def test_marketer_cannot_write_on_the_customer_page(client, marketer_user, ana, name, data):
    client.force_login(marketer_user)
    response = client.post(reverse(name, args=[ana.pk]), data)
    assert response.status_code == 403
    assert not Case.objects.exists() and not Note.objects.exists()
    ana.refresh_from_db()
    assert ana.lifecycle_stage == LifecycleStage.ACTIVE


def test_marketer_cannot_edit_or_list_cases(client, marketer_user, ana):
    case = CaseFactory(customer=ana, subject="Broken")
    client.force_login(marketer_user)
    response = client.post(
        reverse("customers:case_detail", args=[case.pk]), {"update-subject": "Hacked", "update-status": "closed"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.subject, case.status) == ("Broken", CaseStatus.OPEN)
    for name in ("customers:case_list", "customers:my_work", "customers:case_export"):
        assert client.get(reverse(name)).status_code == 403


def test_marketer_cannot_merge(client, marketer_user, ana):
    twin = CustomerFactory()
    client.force_login(marketer_user)
    assert client.get(reverse("customers:merge_preview", args=[ana.pk, twin.pk])).status_code == 403
    assert client.post(reverse("customers:merge_preview", args=[ana.pk, twin.pk])).status_code == 403
    assert not MergeRecord.objects.exists()


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    "typed", ["(11) 91234-5678", "11 91234 5678", "+55 11 91234-5678", "ANA@example.com", "@Ana.S"]
)
def test_search_opens_the_single_hit_directly(rep, ana, typed):
    CustomerFactory(first_name="Bruno", last_name="Costa")
    response = rep.get(reverse("customers:customer_list"), {"q": typed})
    assert response.status_code == 302
    assert response.url == detail_url(ana)


def test_search_results_show_identities_and_last_contact(rep, ana):
    other = CustomerFactory(first_name="Ana", last_name="Souza", last_contact_at=timezone.now() - timedelta(days=3))
    IdentityFactory(customer=other, kind=IdentityKind.EMAIL, value="ana.souza@example.com")
    response = rep.get(reverse("customers:customer_list"), {"q": "ana"})
    assert response.status_code == 200
    text = text_of(response)
    assert "2 customers" in text
    assert "Ana Silva" in text and "Ana Souza" in text
    assert "+5511912345678" in text and "ana.souza@example.com" in text and "Instagram: ana.s" in text
    assert date_format(timezone.localtime(ana.last_contact_at), "SHORT_DATETIME_FORMAT") in text


def test_search_without_match_says_so(rep, ana):
    response = rep.get(reverse("customers:customer_list"), {"q": "zzz-nobody"})
    assert "No customer matches “zzz-nobody”" in text_of(response)


def test_every_page_has_the_search_box_pointing_at_the_search(rep, ana):
    page = html_of(rep.get(reverse("customers:case_list")))
    assert f'action="{reverse("customers:customer_list")}"' in page and 'name="q"' in page


def test_search_page_query_count_is_bounded(rep, django_assert_max_num_queries):
    for i in range(60):
        customer = CustomerFactory(first_name="Maria", last_name=f"Test{i}")
        IdentityFactory(customer=customer)
        IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value=f"+55119{10000000 + i}")
        CaseFactory(customer=customer)
    with django_assert_max_num_queries(12):
        response = rep.get(reverse("customers:customer_list"), {"q": "maria"})
    assert len(response.context["customers"]) == 25


# --------------------------------------------------------------------------- the customer page


def test_customer_page_shows_header_key_figures_cases_notes_and_timeline(rep, ana, rep_user, touchpoint):
    now = timezone.now()
    case = case_create(customer=ana, subject="Charged twice", priority="low", assignee=rep_user)
    InteractionFactory(
        customer=ana,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        type=InteractionType.CALL,
        summary="Called back about the refund",
        body="Explained the refund takes 5 days.",
        agent=rep_user,
        case=case,
        touchpoint=touchpoint,
        occurred_at=now - timedelta(hours=2),
    )
    InteractionFactory(
        customer=ana, channel=Channel.CHAT, summary="Asked in the chat", occurred_at=now - timedelta(days=1)
    )
    InteractionFactory(customer=ana, channel=Channel.CHAT, summary="Chat again", occurred_at=now - timedelta(days=2))
    InteractionFactory(customer=ana, channel=Channel.STORE, summary="Old visit", occurred_at=now - timedelta(days=200))
    NoteFactory(customer=ana, body="Prefers calls after 6 pm", author=rep_user)

    response = rep.get(detail_url(ana))
    assert response.status_code == 200
    page, text = html_of(response), text_of(response)
    # Header
    for shown in (
        "Ana Silva",
        "Active",
        "Loyal Lorena",
        "Português (Brasil)",
        "Marketing consent",
        "Opted out of surveys",
    ):
        assert shown in text
    assert rep_user.get_full_name() in text
    assert "Phone +5511912345678" in text and "Email ana@example.com" in text and "Instagram: ana.s" in text
    # Key figures: 1 open case; last 90 days by channel (the 200-day-old visit is not counted)
    assert response.context["customer"].open_case_count == 1
    counts = {row["channel"]: row["n"] for row in response.context["channel_figures"].channels}
    assert counts == {"chat": 2, "phone": 1}
    assert 'data-channel="store"' not in page.split('data-testid="channel-counts"')[1].split("</div>")[0]
    assert "No survey answers yet" in text
    # Open cases with SLA state; notes
    assert "Charged twice" in text and "On track" in text
    assert "Prefers calls after 6 pm" in text
    # Timeline: newest first, with channel icon, direction, type, agent, case, touchpoint; body expandable
    items = response.context["timeline"].results
    assert [i.summary for i in items] == [
        "Called back about the refund",
        "Asked in the chat",
        "Chat again",
        "Old visit",
    ]
    first = page.split('data-testid="timeline-item"')[1]
    for shown in ("bi-telephone", "Outbound", "Call", rep_user.get_full_name(), "Charged twice", "Phone support"):
        assert shown in first
    assert "<details" in first and "Explained the refund takes 5 days." in first


def test_folded_customer_id_redirects_to_the_survivor(rep, ana, rep_user):
    twin = CustomerFactory()
    customer_merge(survivor=ana, other=twin, user=rep_user)
    response = rep.get(detail_url(twin))
    assert response.status_code == 302 and response.url == detail_url(ana)


def test_unknown_customer_is_404(rep):
    assert rep.get(reverse("customers:customer_detail", args=[999999])).status_code == 404


def test_timeline_filters_by_channel_type_and_case(rep, ana):
    case = CaseFactory(customer=ana, subject="Parcel late")
    InteractionFactory(
        customer=ana, channel=Channel.EMAIL, type=InteractionType.MESSAGE, summary="Email about parcel", case=case
    )
    InteractionFactory(
        customer=ana, channel=Channel.EMAIL, type=InteractionType.EMAIL_OPEN, summary="Opened newsletter"
    )
    InteractionFactory(customer=ana, channel=Channel.CHAT, type=InteractionType.MESSAGE, summary="Chat question")

    def summaries(**params):
        response = rep.get(detail_url(ana), params)
        return {i.summary for i in response.context["timeline"].results}

    assert summaries(channel="email") == {"Email about parcel", "Opened newsletter"}
    assert summaries(channel="email", type="message") == {"Email about parcel"}
    assert summaries(case=case.pk) == {"Email about parcel"}
    assert summaries(channel="fax") == {"Email about parcel", "Opened newsletter", "Chat question"}  # bad value ignored
    response = rep.get(detail_url(ana), {"channel": "sms"})
    assert "Nothing matches these filters." in text_of(response)


def test_a_filter_change_puts_the_filtered_page_in_the_address_bar(rep, ana):
    InteractionFactory(customer=ana, channel=Channel.EMAIL, type=InteractionType.MESSAGE, summary="Email")
    timeline = reverse("customers:timeline", args=[ana.pk])

    response = rep.get(timeline, {"channel": "email", "type": "", "case": ""}, HTTP_HX_REQUEST="true")
    pushed = response["HX-Push-Url"]
    assert pushed == f"{detail_url(ana)}?channel=email"
    # the pushed address, opened or reloaded, shows the same filtered timeline
    reloaded = rep.get(pushed)
    assert [i.summary for i in reloaded.context["timeline"].results] == ["Email"]
    assert 'value="email" selected' in html_of(reloaded)

    # back to every channel: the plain page; "load more" leaves the address alone
    assert rep.get(timeline, {"channel": ""}, HTTP_HX_REQUEST="true")["HX-Push-Url"] == detail_url(ana)
    more = rep.get(timeline, {"channel": "email", "cursor": "x"}, HTTP_HX_REQUEST="true")
    assert "HX-Push-Url" not in more


def _history(customer, n, start=None):
    start = start or timezone.now() - timedelta(days=365)
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                channel=list(Channel.values)[i % len(Channel.values)],
                type=InteractionType.MESSAGE,
                occurred_at=start + timedelta(minutes=i * 7),
                summary=f"Event {i}",
                body=f"Body {i}",
                live=False,
            )
            for i in range(n)
        ]
    )


def test_load_more_pages_the_timeline_without_gaps_or_repeats(rep, ana):
    _history(ana, 120)
    seen = []
    response = rep.get(detail_url(ana))
    seen += [i.summary for i in response.context["timeline"].results]
    assert 'data-testid="timeline-more"' in html_of(response)
    cursor = response.context["timeline"].next_cursor
    # htmx asks the fragment: items and the next "load more", no page layout
    while cursor:
        fragment = rep.get(reverse("customers:timeline", args=[ana.pk]), {"cursor": cursor}, HTTP_HX_REQUEST="true")
        assert "<html" not in html_of(fragment)
        seen += [i.summary for i in fragment.context["timeline"].results]
        cursor = fragment.context["timeline"].next_cursor
    assert seen == [f"Event {i}" for i in range(119, -1, -1)]


def test_load_more_keeps_the_filters_and_works_without_javascript(rep, ana):
    _history(ana, 700)
    response = rep.get(detail_url(ana), {"channel": "email"})
    page = html_of(response)
    more = re.search(r'href="([^"]*cursor=[^"#]*)', page).group(1).replace("&amp;", "&")
    assert "channel=email" in more
    older = rep.get(more)
    results = older.context["timeline"].results
    assert results and all(i.channel == "email" for i in results)
    assert "Back to the newest" in text_of(older)


def test_bad_cursor_shows_the_newest_page(rep, ana):
    _history(ana, 3)
    response = rep.get(detail_url(ana), {"cursor": "garbage"})
    assert response.status_code == 200
    assert response.context["timeline"].results[0].summary == "Event 2"


def test_customer_page_query_count_is_bounded_with_thousands_of_interactions(
    rep, ana, rep_user, django_assert_max_num_queries
):
    _history(ana, 3000, start=timezone.now() - timedelta(days=120))
    for i in range(40):
        case = CaseFactory(customer=ana, subject=f"Case {i}", assignee=rep_user)
        InteractionFactory(customer=ana, case=case, agent=rep_user)
        NoteFactory(customer=ana, author=rep_user)
    twin = CustomerFactory()
    MergeSuggestion.objects.create(customer=twin, other=ana, reason="same phone")
    with django_assert_max_num_queries(15):
        response = rep.get(detail_url(ana))
    assert response.status_code == 200
    assert len(response.context["timeline"].results) == 50
    with django_assert_max_num_queries(10):
        rep.get(reverse("customers:timeline", args=[ana.pk]), {"cursor": response.context["timeline"].next_cursor})


# --------------------------------------------------------------------------- panels (the CX module's slot)


def scores_panel(customer, request):
    return {"title": "Latest survey", "html": f"<strong>NPS 9</strong> for {customer.first_name}"}


def silent_panel(customer, request):
    return None


def broken_panel(customer, request):
    raise RuntimeError("feedback down")


def test_panels_fill_the_key_figures(rep, ana, settings):
    settings.CUSTOMER_PAGE_PANELS = [f"{__name__}.silent_panel", f"{__name__}.scores_panel"]
    page = html_of(rep.get(detail_url(ana)))
    assert "Latest survey" in page and "<strong>NPS 9</strong> for Ana" in page
    assert "No survey answers yet" not in page


def test_a_broken_panel_does_not_break_the_page(rep, ana, settings):
    settings.CUSTOMER_PAGE_PANELS = [f"{__name__}.broken_panel"]
    response = rep.get(detail_url(ana))
    assert response.status_code == 200
    assert "Unavailable right now." in text_of(response)


# --------------------------------------------------------------------------- forms on the customer page


def test_log_a_call_on_an_open_case(rep, ana, rep_user, touchpoint):
    case = case_create(customer=ana, subject="Router broken", assignee=rep_user)
    response = rep.post(
        reverse("customers:interaction_log", args=[ana.pk]),
        {
            "log-channel": "phone",
            "log-direction": "outbound",
            "log-type": "call",
            "log-summary": "Walked her through a reset",
            "log-body": "Works again.",
            "log-case": case.pk,
            "log-touchpoint": "support-phone",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail_url(ana)
    interaction = Interaction.objects.get(summary="Walked her through a reset")
    assert (interaction.agent, interaction.case, interaction.touchpoint, interaction.source, interaction.live) == (
        rep_user,
        case,
        touchpoint,
        "web",
        True,
    )
    case.refresh_from_db()
    assert case.first_response_at == interaction.occurred_at  # an agent's outbound answer
    assert "Logged: Phone call “Walked her through a reset”." in text_of(response)
    assert response.context["timeline"].results[0] == interaction


def test_log_form_errors_keep_what_was_typed(rep, ana):
    response = rep.post(
        reverse("customers:interaction_log", args=[ana.pk]),
        {
            "log-channel": "phone",
            "log-direction": "inbound",
            "log-type": "call",
            "log-summary": "   ",
            "log-body": "Long notes I typed",
        },
    )
    assert response.status_code == 200
    form = response.context["forms"]["log"]
    assert form.errors["summary"] == ["Give a short summary."]
    page = html_of(response)
    assert "Long notes I typed" in page
    assert 'id="form-log"' in page and 'class="collapse show"' in page
    assert not Interaction.objects.exists()


def test_log_form_refuses_a_time_in_the_future_and_keeps_the_input(rep, ana):
    """A mistyped year would sit on top of the timeline for ever and move the last contact."""
    next_year = f"{timezone.localdate().year + 1}-01-01T10:00"
    response = rep.post(
        reverse("customers:interaction_log", args=[ana.pk]),
        {
            "log-channel": "phone",
            "log-direction": "outbound",
            "log-type": "call",
            "log-summary": "Called back",
            "log-occurred_at": next_year,
        },
    )
    assert response.status_code == 200
    assert response.context["forms"]["log"].errors["occurred_at"] == ["That is in the future: when did it happen?"]
    assert f'value="{next_year}"' in html_of(response)
    assert not Interaction.objects.exists()


def test_open_a_case_with_sla_due_times_then_resolve_it(rep, ana, rep_user):
    response = rep.post(
        reverse("customers:case_open", args=[ana.pk]),
        {
            "case-subject": "Parcel never arrived",
            "case-description": "Tracking stuck",
            "case-topic": "delivery",
            "case-origin": "chat",
            "case-priority": "urgent",
            "case-status": "open",
            "case-assignee": rep_user.pk,
        },
    )
    case = Case.objects.get()
    assert response.url == detail_url(ana)
    assert (case.subject, case.priority, case.assignee, case.origin) == (
        "Parcel never arrived",
        "urgent",
        rep_user,
        "chat",
    )
    assert case.first_response_due_at and case.resolution_due_at

    page = rep.get(reverse("customers:case_detail", args=[case.pk]))
    assert "Parcel never arrived" in text_of(page) and "Tracking stuck" in text_of(page)
    response = rep.post(
        reverse("customers:case_detail", args=[case.pk]),
        {
            "update-subject": "Parcel never arrived",
            "update-priority": "urgent",
            "update-assignee": rep_user.pk,
            "update-status": "resolved",
            "update-resolution_note": "Resent the parcel.",
        },
        follow=True,
    )
    case.refresh_from_db()
    assert (case.status, case.resolution_note) == ("resolved", "Resent the parcel.")
    assert case.resolved_at is not None
    assert f"Case #{case.pk} saved (resolved)." in text_of(response)


def test_open_case_errors_are_shown_on_the_field(rep, ana):
    response = rep.post(
        reverse("customers:case_open", args=[ana.pk]),
        {
            "case-subject": "  ",
            "case-description": "What I typed",
            "case-origin": "chat",
            "case-priority": "normal",
            "case-status": "open",
        },
    )
    assert response.status_code == 200
    assert response.context["forms"]["case"].errors["subject"]
    assert "What I typed" in html_of(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "subject,status,field,message",
    [
        (" ", "open", "subject", "Give the case a subject."),
        ("Fine", "bogus", "status", "Select a valid choice."),
    ],
)
def test_case_update_errors_keep_the_input(rep, ana, subject, status, field, message):
    case = CaseFactory(customer=ana, subject="Old subject")
    response = rep.post(
        reverse("customers:case_detail", args=[case.pk]),
        {
            "update-subject": subject,
            "update-priority": "normal",
            "update-status": status,
            "update-resolution_note": "kept",
        },
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "kept" in html_of(response)
    case.refresh_from_db()
    assert (case.subject, case.status) == ("Old subject", CaseStatus.OPEN)


def test_add_a_note(rep, ana, rep_user):
    response = rep.post(
        reverse("customers:note_create", args=[ana.pk]), {"note-body": "Wants a call on Monday"}, follow=True
    )
    note = Note.objects.get()
    assert (note.customer, note.author, note.body) == (ana, rep_user, "Wants a call on Monday")
    assert "Wants a call on Monday" in text_of(response)


def test_empty_note_is_refused(rep, ana):
    response = rep.post(reverse("customers:note_create", args=[ana.pk]), {"note-body": "   "})
    assert response.status_code == 200
    assert response.context["forms"]["note"].errors["body"]
    assert not Note.objects.exists()


def _profile(customer, **changes):
    data = {
        "profile-first_name": customer.first_name,
        "profile-last_name": customer.last_name,
        "profile-lifecycle_stage": customer.lifecycle_stage,
        "profile-owner": customer.owner_id or "",
        "profile-persona": customer.persona_id or "",
        "profile-tags": "",
        "profile-language": customer.language,
        "profile-timezone": customer.timezone,
        "profile-country": customer.country,
        "profile-preferred_channel": "",
    }
    if customer.marketing_consent:
        data["profile-marketing_consent"] = "on"
    data.update({f"profile-{k}": v for k, v in changes.items()})
    return data


def test_fix_the_profile(rep, ana, rep_user):
    rep2 = UserFactory(username="rep2", role=Role.SUPPORT_REP)
    persona = PersonaFactory(name="Tech-savvy Theo")
    response = rep.post(
        reverse("customers:profile_update", args=[ana.pk]),
        _profile(
            ana,
            lifecycle_stage="at_risk",
            owner=rep2.pk,
            persona=persona.pk,
            tags="VIP, b2b",
            language="es",
            country="es",
            timezone="Europe/Madrid",
            survey_opt_out="on",
        ),
    )
    assert response.status_code == 302
    ana.refresh_from_db()
    assert (ana.lifecycle_stage, ana.owner, ana.persona, ana.language, ana.country, ana.timezone) == (
        "at_risk",
        rep2,
        persona,
        "es",
        "ES",
        "Europe/Madrid",
    )
    assert sorted(ana.tags.values_list("name", flat=True)) == ["b2b", "vip"]
    assert ana.survey_opt_out is True and ana.marketing_consent is True
    change = LifecycleChange.objects.get(customer=ana)
    assert (change.from_stage, change.to_stage, change.changed_by) == ("active", "at_risk", rep_user)


@pytest.mark.parametrize(
    "field,typed,message",
    [
        ("timezone", "Mars/Olympus", "is not a known time zone"),
        ("country", "Brazil", "is not a two-letter ISO 3166 country code"),
    ],
)
def test_profile_errors_are_shown_on_the_field_with_the_typed_value(rep, ana, field, typed, message):
    response = rep.post(
        reverse("customers:profile_update", args=[ana.pk]), _profile(ana, **{field: typed, "first_name": "Anita"})
    )
    assert response.status_code == 200
    form = response.context["forms"]["profile"]
    assert message in " ".join(form.errors[field])
    page = html_of(response)
    assert f'value="{typed}"' in page and 'value="Anita"' in page
    ana.refresh_from_db()
    assert ana.first_name == "Ana"


def test_add_an_identity_typed_in_national_format(rep, ana):
    response = rep.post(
        reverse("customers:identity_add", args=[ana.pk]),
        {"identity-kind": "phone", "identity-value": "(21) 99876-5432"},
    )
    assert response.status_code == 302
    assert ana.identities.filter(kind="phone", value="+5521998765432").exists()


@pytest.mark.parametrize(
    "kind,value,network,message",
    [
        ("email", "ana-at-example.com", "", "is not a valid email address"),
        ("phone", "12", "", "is not a valid phone number"),
        ("handle", "@ana", "", "needs its network"),
    ],
)
def test_invalid_identity_error_is_on_the_value_and_the_input_kept(rep, ana, kind, value, network, message):
    response = rep.post(
        reverse("customers:identity_add", args=[ana.pk]),
        {"identity-kind": kind, "identity-value": value, "identity-network": network},
    )
    assert response.status_code == 200
    form = response.context["forms"]["identity"]
    assert message in " ".join(form.errors["value"])
    assert f'value="{value}"' in html_of(response)
    assert ana.identities.count() == 3


def test_identity_of_another_customer_names_that_customer(rep, ana):
    other = CustomerFactory(first_name="Bea", last_name="Lima")
    response = rep.post(
        reverse("customers:identity_add", args=[other.pk]),
        {"identity-kind": "email", "identity-value": " ANA@example.com"},
    )
    assert f"already belongs to customer #{ana.pk} (Ana Silva)" in " ".join(
        response.context["forms"]["identity"].errors["value"]
    )


def test_remove_an_identity(rep, ana):
    identity = ana.identities.get(kind="handle")
    response = rep.post(reverse("customers:identity_remove", args=[identity.pk]))
    assert response.url == detail_url(ana)
    assert not ana.identities.filter(kind="handle").exists()


# --------------------------------------------------------------------------- merge


@pytest.fixture
def twin(ana):
    twin = CustomerFactory(first_name="Ana", last_name="Silva", country="BR")
    IdentityFactory(customer=twin, kind=IdentityKind.PHONE, value="+5511988887777")
    InteractionFactory(customer=twin, summary="Called from a new number")
    InteractionFactory(customer=twin, summary="Called again")
    suggestion = MergeSuggestion.objects.create(customer=twin, other=ana, reason="Given together: phone and email")
    twin.suggestion = suggestion
    return twin


def test_merge_a_suggested_duplicate_after_the_preview_then_undo(rep, ana, twin):
    page = rep.get(detail_url(ana))
    assert "Given together: phone and email" in text_of(page)
    preview_url = reverse("customers:merge_preview", args=[ana.pk, twin.pk])
    assert preview_url in html_of(page)

    # The twin has more history (2 interactions to none): the preview suggests keeping it; the rep keeps Ana.
    suggested = rep.get(preview_url, {"suggestion": twin.suggestion.pk})
    assert suggested.url.startswith(reverse("customers:merge_preview", args=[twin.pk, ana.pk]))
    preview = rep.get(preview_url, {"suggestion": twin.suggestion.pk, "chosen": "rep"})
    assert preview.status_code == 200
    assert preview.context["preview"].counts["interactions"] == 2
    assert "+5511988887777" in text_of(preview) and 'data-count="interactions">2<' in html_of(preview)

    response = rep.post(preview_url, {"suggestion": twin.suggestion.pk}, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(ana)
    twin.refresh_from_db()
    assert twin.merged_into == ana
    assert ana.interactions.count() == 2
    assert MergeSuggestion.objects.get().status == SuggestionStatus.MERGED
    record = MergeRecord.objects.get()
    assert f'action="{reverse("customers:merge_undo", args=[record.pk])}"' in html_of(response)

    response = rep.post(reverse("customers:merge_undo", args=[record.pk]), follow=True)
    assert f"customer #{twin.pk} is separate again" in text_of(response)
    twin.refresh_from_db()
    assert twin.merged_into is None and twin.interactions.count() == 2


def test_merge_preview_says_in_words_what_moves_and_which_fields_fill_in(rep, ana, twin, rep_user):
    ana.persona, ana.owner, ana.preferred_channel = None, None, ""
    ana.save()
    persona = PersonaFactory(name="Busy Bruno")
    twin.persona, twin.owner, twin.preferred_channel = persona, rep_user, Channel.CHAT
    twin.first_contact_at = ana.first_contact_at - timedelta(days=30)
    twin.save()
    response = rep.get(reverse("customers:merge_preview", args=[ana.pk, twin.pk]), {"chosen": "rep"})
    moves = text_of(response).split("What moves", 1)[1]
    assert "Lifecycle stage changes" in moves and "lifecycle_changes" not in moves
    assert "Persona — → Busy Bruno" in moves
    assert f"Owner — → {rep_user.get_full_name()}" in moves
    assert "Preferred channel — → Chat" in moves
    assert f"First contact {date_format(timezone.localtime(ana.first_contact_at), 'SHORT_DATETIME_FORMAT')} → " in moves
    assert "_id" not in moves and "T" not in re.findall(r"\d{4}-\d\d-\d\d(T?)", moves)


def test_merge_of_an_already_folded_customer_says_why(rep, ana, twin, rep_user):
    customer_merge(survivor=ana, other=twin, user=rep_user)
    response = rep.post(reverse("customers:merge_preview", args=[ana.pk, twin.pk]), follow=True)
    assert "was already merged into customer" in text_of(response)
    assert MergeRecord.objects.count() == 1


def test_dismiss_a_suggestion(rep, ana, twin):
    response = rep.post(
        reverse("customers:suggestion_dismiss", args=[twin.suggestion.pk]), {"next": detail_url(ana)}, follow=True
    )
    assert response.redirect_chain[-1][0] == detail_url(ana)
    assert MergeSuggestion.objects.get().status == SuggestionStatus.DISMISSED
    assert 'data-testid="suggestions"' not in html_of(response)


def test_dismiss_ignores_a_foreign_next_url(rep, ana, twin):
    response = rep.post(
        reverse("customers:suggestion_dismiss", args=[twin.suggestion.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == detail_url(twin)


# --------------------------------------------------------------------------- My work


def _case(customer, *, assignee, subject, due_in=None, first_due_in=None, **kwargs):
    now = timezone.now()
    return CaseFactory(
        customer=customer,
        assignee=assignee,
        assigned_at=kwargs.pop("assigned_at", now - timedelta(days=2)),
        subject=subject,
        opened_at=now - timedelta(hours=5),
        first_response_at=now - timedelta(hours=4) if first_due_in is None else None,
        first_response_due_at=now + first_due_in if first_due_in is not None else now - timedelta(hours=3),
        resolution_due_at=now + due_in if due_in is not None else None,
        **kwargs,
    )


def test_my_work_lists_my_open_cases_by_sla_due_with_breaches_highlighted(rep, rep_user, ana):
    other_rep = UserFactory(username="rep2", role=Role.SUPPORT_REP)
    _case(ana, assignee=rep_user, subject="Later", due_in=timedelta(hours=20))
    _case(ana, assignee=rep_user, subject="Soon", due_in=timedelta(minutes=30))
    _case(ana, assignee=rep_user, subject="Late", due_in=timedelta(hours=-2))
    _case(
        ana,
        assignee=rep_user,
        subject="Needs first answer",
        first_due_in=timedelta(minutes=45),
        due_in=timedelta(hours=30),
    )
    _case(ana, assignee=rep_user, subject="Detractor follow-up", due_in=timedelta(hours=10), origin="survey")
    _case(ana, assignee=other_rep, subject="Not mine", due_in=timedelta(minutes=5))
    _case(ana, assignee=rep_user, subject="Done", due_in=timedelta(hours=-2), status=CaseStatus.RESOLVED)

    response = rep.get(reverse("customers:my_work"))
    assert response.status_code == 200
    queue = [c.subject for c in response.context["queue"]]
    assert queue == ["Late", "Soon", "Needs first answer", "Detractor follow-up", "Later"]
    assert response.context["summary"] == {"total": 5, "breached": 1, "due_soon": 2}
    rows = html_of(response).split('data-testid="queue-table"')[1]
    assert re.search(r'class="sla-breached[^"]*"[^>]*>\s*<td[^>]*><a[^>]*>#\d+ Late', rows)
    assert re.search(r'class="sla-due_soon[^"]*"[^>]*>\s*<td[^>]*><a[^>]*>#\d+ Soon', rows)
    assert "Survey follow-up" in rows


def test_my_work_new_for_me_stays_until_the_case_is_opened_or_marked_seen(rep, rep_user, ana):
    now = timezone.now()
    _case(ana, assignee=rep_user, subject="Long ago", assigned_at=now - timedelta(days=20), due_in=timedelta(hours=9))
    first = _case(
        ana, assignee=rep_user, subject="First", assigned_at=now - timedelta(days=3), due_in=timedelta(hours=9)
    )
    second = _case(
        ana, assignee=rep_user, subject="Second", assigned_at=now - timedelta(minutes=30), due_in=timedelta(hours=9)
    )
    response = rep.get(reverse("customers:my_work"))
    assert [c.subject for c in response.context["new_cases"]] == ["Second", "First"]
    # A reload changes nothing: what is new stays new.
    response = rep.get(reverse("customers:my_work"))
    assert [c.subject for c in response.context["new_cases"]] == ["Second", "First"]
    assert text_of(response).count("Mark seen") == 2
    # Opening the case's page takes it out; so does "Mark seen".
    rep.get(reverse("customers:case_detail", args=[first.pk]))
    response = rep.post(reverse("customers:case_seen", args=[second.pk]))
    assert response.url == reverse("customers:my_work")
    response = rep.get(reverse("customers:my_work"))
    assert response.context["new_cases"] == []
    assert "Nothing new." in text_of(response)


def test_my_work_case_assigned_again_after_being_seen_is_new_again(rep, rep_user, ana):
    other_rep = UserFactory(username="rep2", role=Role.SUPPORT_REP)
    case = _case(ana, assignee=rep_user, subject="Back to me", assigned_at=timezone.now() - timedelta(hours=2))
    rep.post(reverse("customers:case_seen", args=[case.pk]))
    case_update(case=case, assignee=other_rep)
    case_update(case=case, assignee=rep_user)
    response = rep.get(reverse("customers:my_work"))
    assert [c.subject for c in response.context["new_cases"]] == ["Back to me"]


def test_case_seen_unknown_case_is_404(rep):
    assert rep.post(reverse("customers:case_seen", args=[999999])).status_code == 404


def test_my_work_lists_merge_suggestions_waiting(rep, ana, twin):
    response = rep.get(reverse("customers:my_work"))
    assert "Given together: phone and email" in text_of(response)
    assert reverse("customers:merge_preview", args=[twin.pk, ana.pk]) in html_of(response)


def test_my_work_merge_keeps_the_customer_the_conflicting_interaction_went_to(rep, ana):
    """Ingestion files the interaction under the first identity's owner; the suggested merge keeps that one."""
    newcomer = CustomerFactory(first_name="Ana", last_name="S.")
    IdentityFactory(customer=newcomer, kind=IdentityKind.EMAIL, value="ana.s@work.example")
    data = interaction_input_parse(
        {
            "channel": Channel.CHAT,
            "occurred_at": timezone.now(),
            "summary": "Chat from a work email",
            "identities": [
                {"kind": "phone", "value": "(11) 91234-5678"},
                {"kind": "email", "value": "ana.s@work.example"},
            ],
        }
    )
    interaction_ingest(data=data, live=False)
    suggestion = MergeSuggestion.objects.get()
    response = rep.get(reverse("customers:my_work"))
    preview_url = reverse("customers:merge_preview", args=[ana.pk, newcomer.pk])
    assert f"{preview_url}?suggestion={suggestion.pk}" in html_of(response)
    preview = rep.get(preview_url)
    assert f"#{newcomer.pk} Ana S. will be folded into #{ana.pk} Ana Silva" in text_of(preview)


def test_my_work_query_count_is_bounded_with_hundreds_of_cases(rep, rep_user, ana, django_assert_max_num_queries):
    customers = CustomerFactory.create_batch(20)
    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(
                customer=customers[i % 20],
                subject=f"Case {i}",
                assignee=rep_user,
                assigned_at=now - timedelta(minutes=i),
                opened_at=now - timedelta(hours=3),
                resolution_due_at=now + timedelta(minutes=i * 5 - 100),
            )
            for i in range(300)
        ]
    )
    with django_assert_max_num_queries(14):
        response = rep.get(reverse("customers:my_work"))
    assert response.context["summary"]["total"] == 300
    assert len(response.context["queue"]) == 100


# --------------------------------------------------------------------------- the cases list


@pytest.fixture
def cases(ana, rep_user):
    other_rep = UserFactory(username="rep2", role=Role.SUPPORT_REP)
    now = timezone.now()
    bruno = CustomerFactory(first_name="Bruno", last_name="Costa")
    return {
        "late": CaseFactory(
            customer=ana,
            subject="Late billing",
            topic="billing",
            priority="urgent",
            assignee=rep_user,
            origin="chat",
            opened_at=now - timedelta(days=2),
            resolution_due_at=now - timedelta(hours=1),
        ),
        "device": CaseFactory(
            customer=bruno,
            subject="Device error",
            topic="device",
            priority="low",
            assignee=other_rep,
            origin="phone",
            opened_at=now - timedelta(days=1),
            resolution_due_at=now + timedelta(days=1),
        ),
        "survey": CaseFactory(
            customer=bruno,
            subject="Detractor follow-up",
            topic="billing",
            priority="high",
            assignee=None,
            origin="survey",
            status=CaseStatus.NEW,
            opened_at=now - timedelta(hours=3),
        ),
        "closed": CaseFactory(
            customer=ana,
            subject="Closed one",
            topic="returns",
            status=CaseStatus.CLOSED,
            assignee=rep_user,
            opened_at=now - timedelta(days=9),
            resolved_at=now - timedelta(days=8),
        ),
    }


def _subjects(response):
    return [c.subject for c in response.context["cases"]]


def test_cases_list_shows_open_cases_by_default(rep, cases):
    response = rep.get(reverse("customers:case_list"))
    assert sorted(_subjects(response)) == ["Detractor follow-up", "Device error", "Late billing"]
    assert "Breached" in text_of(response)


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"status": ["closed"]}, ["Closed one"]),
        ({"status": ["new", "open"], "priority": ["urgent", "low"]}, ["Device error", "Late billing"]),
        ({"topic": "billing"}, ["Detractor follow-up", "Late billing"]),
        ({"origin": "survey"}, ["Detractor follow-up"]),
        ({"breached": "true"}, ["Late billing"]),
        ({"unassigned": "true"}, ["Detractor follow-up"]),
    ],
)
def test_cases_list_filters(rep, cases, params, expected):
    response = rep.get(reverse("customers:case_list"), {"sort": "subject", **params})
    assert _subjects(response) == expected


def test_cases_list_filters_by_assignee(rep, cases, rep_user):
    response = rep.get(reverse("customers:case_list"), {"assignee_id": rep_user.pk, "sort": "subject"})
    assert _subjects(response) == ["Closed one", "Late billing"]


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("priority", ["Device error", "Closed one", "Detractor follow-up", "Late billing"]),
        ("-priority", ["Late billing", "Detractor follow-up", "Closed one", "Device error"]),
        ("-opened", ["Detractor follow-up", "Device error", "Late billing", "Closed one"]),
        ("due", ["Late billing", "Device error", "Detractor follow-up", "Closed one"]),
        ("bogus", ["Detractor follow-up", "Device error", "Late billing", "Closed one"]),
    ],
)
def test_cases_list_sorts(rep, cases, sort, expected):
    response = rep.get(reverse("customers:case_list"), {"sort": sort, "status": CaseStatus.values})
    assert _subjects(response) == expected


def test_cases_list_has_a_sort_by_choice_that_keeps_the_column_sort(rep, cases):
    page = html_of(rep.get(reverse("customers:case_list"), {"sort": "due", "status": CaseStatus.values}))
    assert '<select class="form-select form-select-sm" id="f-sort" name="sort">' in page
    assert '<option value="due" selected>Due soonest</option>' in page
    # a column sorted the other way is kept, named as such, and the filter form sends it on
    page = html_of(rep.get(reverse("customers:case_list"), {"sort": "-due"}))
    assert '<option value="-due" selected>As chosen in the table</option>' in page
    assert page.count('name="sort"') == 1


def test_cases_list_paginates(rep, ana):
    CaseFactory.create_batch(55, customer=ana)
    first = rep.get(reverse("customers:case_list"))
    assert len(first.context["cases"]) == 50 and "1 / 2" in text_of(first)
    second = rep.get(reverse("customers:case_list"), {"status": ["open"], "page": 2})
    assert len(second.context["cases"]) == 5


@pytest.mark.parametrize(("page", "expected"), [("99", 5), ("-1", 5), ("abc", 50)])
def test_cases_list_bad_page_number_shows_a_page_not_404(rep, ana, page, expected):
    CaseFactory.create_batch(55, customer=ana)
    response = rep.get(reverse("customers:case_list"), {"page": page})
    assert response.status_code == 200
    assert len(response.context["cases"]) == expected


def test_cases_csv_export_uses_the_filters(client, manager_user, cases, rep_user):
    client.force_login(manager_user)
    response = client.get(reverse("customers:case_export"), {"topic": "billing", "sort": "subject"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["subject"] for r in rows] == ["Detractor follow-up", "Late billing"]
    late = rows[1]
    assert (late["customer"], late["assignee"], late["priority"], late["breached"], late["sla_state"]) == (
        "Ana Silva",
        rep_user.username,
        "urgent",
        "yes",
        "breached",
    )


def test_cases_list_query_count_is_bounded_with_hundreds_of_cases(
    rep, rep_user, manager_user, django_assert_max_num_queries
):
    customers = CustomerFactory.create_batch(30)
    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(
                customer=customers[i % 30],
                subject=f"Case {i}",
                assignee=rep_user if i % 2 else None,
                opened_at=now - timedelta(hours=i),
                resolution_due_at=now + timedelta(hours=10 - i),
            )
            for i in range(400)
        ]
    )
    with django_assert_max_num_queries(10):
        response = rep.get(reverse("customers:case_list"), {"status": ["open", "new"], "sort": "due"})
    assert len(response.context["cases"]) == 50
    manager = Client()
    manager.force_login(manager_user)
    with django_assert_max_num_queries(8):
        response = manager.get(reverse("customers:case_export"))
        assert len(b"".join(response.streaming_content).splitlines()) == 401
