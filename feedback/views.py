"""Pages: the staff survey list, and the public link pages (the survey answer page, thanks, unsubscribe)."""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView
from django_ratelimit.core import is_ratelimited

from cxcrm.choices import Language, language_best_match
from cxcrm.security import ratelimit_ip_key
from cxcrm.views import StaffPermissionMixin
from journeys.selectors import touchpoints_for_keys

from . import delivery, selectors, services, tokens
from .choices import InvitationStatus
from .forms import SurveyAnswerForm


class SurveyListView(StaffPermissionMixin, ListView):
    permission_required = "feedback.view_survey"
    template_name = "feedback/survey_list.html"
    context_object_name = "surveys"

    def get_queryset(self):
        return selectors.survey_list_with_counts()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = InvitationStatus.choices
        # A rule's touchpoint by its name in the published map (its key when no published map has it).
        keys = {rule.touchpoint_key for survey in context["surveys"] for rule in survey.rules.all()}
        names = {key: touchpoint.name for key, touchpoint in touchpoints_for_keys(keys).items()}
        for survey in context["surveys"]:
            survey.status_counts = [
                (label, getattr(survey, f"n_{value}"), value) for value, label in InvitationStatus.choices
            ]
            for rule in survey.rules.all():
                rule.touchpoint_name = names.get(rule.touchpoint_key, rule.touchpoint_key)
        return context


# --------------------------------------------------------------------------- customer health


class CustomerHealthView(StaffPermissionMixin, View):
    """GET /customers/<id>/health/: the health panel (score and parts) the customer page loads by htmx.

    404 for an unknown or unlisted customer; the panel says "not computed yet" before the first run."""

    permission_required = ("customers.view_customer", "feedback.view_response")

    def get(self, request, pk):
        from django.http import Http404

        from customers.models import Customer

        from . import health
        from .models import HealthScore

        if not Customer.objects.listed().filter(pk=pk).exists():
            raise Http404(_("No such customer."))
        score = HealthScore.objects.filter(customer_id=pk).first()
        context = {"score": score, "rows": health.health_part_rows(score.parts) if score else []}
        return render(request, "feedback/panels/health.html", context)


# --------------------------------------------------------------------------- needs attention

ATTENTION_EMBED_ROWS = 10
ATTENTION_PAGE_ROWS = 50


def _page_number(value) -> int:
    """A page number from the query string: a whole number from 1; anything else is page 1."""
    try:
        return max(1, min(int(value), 10**6))
    except (TypeError, ValueError):
        return 1


class AttentionView(StaffPermissionMixin, View):
    """GET /customers/attention/?page=N: the ranked queue of customers who need attention, each with its reasons
    and next actions, ATTENTION_PAGE_ROWS (50) a page (a page past the last shows the last). `?embed=1` answers
    only the rows (My work loads them by htmx): the user's customers first, at most ATTENTION_EMBED_ROWS."""

    permission_required = ("customers.view_customer", "feedback.view_response")

    def get(self, request):
        from . import attention

        embed = request.GET.get("embed") == "1"
        if embed:
            rows, total, page = attention.attention_queue(user=request.user, limit=ATTENTION_EMBED_ROWS), None, None
        else:
            page = _page_number(request.GET.get("page"))
            rows, total = attention.attention_queue_page(
                offset=(page - 1) * ATTENTION_PAGE_ROWS, limit=ATTENTION_PAGE_ROWS
            )
            last = max(1, -(-total // ATTENTION_PAGE_ROWS))
            if page > last:
                rows, _ = attention.attention_queue_page(
                    offset=(last - 1) * ATTENTION_PAGE_ROWS, limit=ATTENTION_PAGE_ROWS
                )
                page = last
            page = {
                "number": page,
                "last": last,
                "total": total,
                "first_row": (page - 1) * ATTENTION_PAGE_ROWS + 1 if rows else 0,
                "last_row": (page - 1) * ATTENTION_PAGE_ROWS + len(rows),
            }
        context = {
            "rows": rows,
            "page": page,
            "embed": embed,
            "can_act": request.user.has_perm("customers.change_customer"),
            "snooze_days_max": attention.SNOOZE_DAYS_MAX,
        }
        template = "feedback/_attention_rows.html" if embed else "feedback/attention.html"
        return render(request, template, context)


class AttentionActView(StaffPermissionMixin, View):
    """POST /customers/attention/<id>/snooze/ (days, note) or …/handled/ (note, required): audited; back to
    the queue with a message (the error in words for a bad input, nothing written)."""

    permission_required = ("customers.change_customer", "feedback.view_response")
    kind = "snooze"

    def post(self, request, pk):
        from django.contrib import messages
        from django.http import Http404

        from customers.models import Customer

        from . import attention

        customer = Customer.objects.listed().filter(pk=pk).first()
        if customer is None:
            raise Http404(_("No such customer."))
        note = (request.POST.get("note") or "")[:2000]
        try:
            if self.kind == "snooze":
                try:
                    days = int(request.POST.get("days") or "")
                except ValueError:
                    raise ValueError(_("Snooze for a whole number of days.")) from None
                attention.attention_snooze(customer=customer, user=request.user, days=days, note=note)
                messages.success(
                    request,
                    _("%(name)s: snoozed for %(days)s days.") % {"name": customer.display_name, "days": days},
                )
            else:
                attention.attention_handle(customer=customer, user=request.user, note=note)
                messages.success(request, _("%(name)s: handled.") % {"name": customer.display_name})
        except ValueError as exc:
            messages.error(request, f"{customer.display_name}: {exc}")
        return redirect("feedback:attention")


# --------------------------------------------------------------------------- links that lead nowhere
# The public pages answer a bad link with our own page and its documented status, never an
# Http404: with DEBUG on (make run), Django would show the customer its debug page instead.


def _invitation_for_token(token: str):
    """The invitation a survey link names, or None when the token is unknown, cut short or forged."""
    invitation_id = tokens.invitation_id_from_token(token)
    return selectors.invitation_for_link(invitation_id) if invitation_id else None


def _public_page_language(request, invitation=None) -> str:
    """The customer's language when the invitation is known (or `?lang=`), else `?lang=` or the browser's."""
    if invitation is not None:
        return _page_language(request, invitation)
    return language_best_match(request.GET.get("lang")) or translation.get_language()


def _link_not_found(request, invitation=None):
    """404 with the friendly "this link does not work" page: in the customer's language when the
    invitation is known (a suppressed link), else `?lang=` or the browser's (LocaleMiddleware)."""
    language = _public_page_language(request, invitation)
    with translation.override(language):
        response = render(request, "feedback/public/not_found.html", {"language": language}, status=404)
    return _public_response(response)


# --------------------------------------------------------------------------- rate limits
# Every public request counts against two limits in Django's cache (django-ratelimit): one per client
# IP (cxcrm.security.client_ip, behind TRUSTED_PROXY_COUNT proxies), which stops anyone walking
# through tokens, and one per link token, which stops one link being hammered from many addresses.


def _token_key(token: str):
    return lambda group, request: token


def _over_rate_limit(request, token: str | None) -> bool:
    """Count this request; True when it goes over the per-IP or the per-token limit."""
    over_ip = is_ratelimited(
        request,
        group="survey-pages:ip",
        key=ratelimit_ip_key,
        rate=settings.SURVEY_RATE_LIMIT_PER_IP,
        increment=True,
    )
    over_token = token is not None and is_ratelimited(
        request,
        group="survey-pages:token",
        key=_token_key(token),
        rate=settings.SURVEY_RATE_LIMIT_PER_TOKEN,
        increment=True,
    )
    return over_ip or over_token


def _too_many_requests(request, token: str | None):
    """429 with a "too many requests" page in the customer's language when the link names a real
    invitation (a forged link costs no database query: its signature fails first), else ?lang= or
    the browser's; Retry-After says when the minute's count starts again."""
    invitation = _invitation_for_token(token) if token else None
    language = _public_page_language(request, invitation)
    with translation.override(language):
        response = render(request, "feedback/public/rate_limited.html", {"language": language}, status=429)
    response["Retry-After"] = "60"
    return _public_response(response)


def rate_limited(view):
    """Decorator of the public pages: the rate limits first, before any database query."""

    @functools.wraps(view)
    def wrapped(request, *args, token=None, **kwargs):
        if _over_rate_limit(request, token):
            return _too_many_requests(request, token)
        if token is None:
            return view(request, *args, **kwargs)
        return view(request, *args, token=token, **kwargs)

    return wrapped


@rate_limited
def survey_link_unmatched(request, rest: str = ""):
    """Any other path under /s/ (a link cut short or with its end garbled): the friendly 404.

    A link whose only fault is a missing final slash goes on to its page: this catch-all
    route takes the path before CommonMiddleware's APPEND_SLASH could redirect it.
    """
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not survey_link_unmatched:
            query = request.META.get("QUERY_STRING", "")
            return redirect(request.path + "/" + (f"?{query}" if query else ""), permanent=True)
    return _link_not_found(request)


def _render_public(request, template, invitation, context=None, status=200):
    language = delivery.normalise_language(invitation.customer.language)
    with translation.override(language):
        return _public_response(
            render(
                request,
                template,
                {
                    "invitation": invitation,
                    "texts": delivery.survey_texts(invitation.survey, language),
                    "language": language,
                    **(context or {}),
                },
                status=status,
            )
        )


# --------------------------------------------------------------------------- the public survey page


def _page_language(request, invitation) -> str:
    """`?lang=` (or the posted `lang`) when it names a language we speak, else the customer's."""
    requested = language_best_match(request.POST.get("lang") or request.GET.get("lang"))
    if requested:
        return requested
    return delivery.normalise_language(invitation.customer.language)


def _thank_you(survey, language: str) -> str:
    """The survey's thank-you text in `language` (else English), without a leading copy of the page's
    heading ("¡Gracias! Su opinión…" under the heading "¡Gracias!" would say it twice)."""
    texts = {t.language: t for t in survey.texts.all()}
    text = texts.get(language) if texts.get(language) and texts[language].thank_you else texts.get(Language.EN)
    thank_you = text.thank_you.strip() if text else ""
    heading = _("Thank you!")
    if thank_you.casefold().startswith(heading.casefold()):
        thank_you = thank_you[len(heading) :].strip()
    return thank_you


def _public_response(response):
    # Links carry the token: keep them out of caches, search engines and other sites' referrers
    # (same-origin, not no-referrer: with no-referrer browsers post `Origin: null`, which CSRF refuses).
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


@method_decorator(rate_limited, name="dispatch")
class SurveyAnswerView(View):
    """The public answer page `/s/<token>/`: no login, the customer's language (or `?lang=`).

    GET shows the questions (`?score=N` preselects the primary score) and marks the invitation
    opened; only POST records an answer, so link checkers in mail systems never answer for anyone.
    Unknown, tampered or suppressed links are 404 (our page, in the customer's language when the
    invitation is known); answered links get the "already answered" page (200), expired ones 410.
    """

    template_name = "feedback/public/answer.html"

    def dispatch(self, request, token):
        self.token = token
        self.invitation = _invitation_for_token(token)
        if self.invitation is None:
            return _link_not_found(request)
        self.language = _page_language(request, self.invitation)
        self.state = services.invitation_answer_state(self.invitation)
        if self.state == "unavailable":
            return _link_not_found(request, self.invitation)
        with translation.override(self.language):
            if self.state in ("answered", "expired"):
                return self.closed(self.state)
            return _public_response(super().dispatch(request, token))

    def render(self, template, context=None, status=200):
        invitation = self.invitation
        base = {
            "invitation": invitation,
            "survey": invitation.survey,
            "texts": delivery.survey_texts(invitation.survey, self.language),
            "first_name": delivery.greeting_name(invitation.customer.first_name, self.language),
            # A named customer is greeted in every language; where the name cannot go in, without it.
            "greet": bool(invitation.customer.first_name),
            "language": self.language,
            "language_links": self.language_links(),
            "token": self.token,
        }
        return render(self.request, template, {**base, **(context or {})}, status=status)

    def language_links(self) -> list[tuple[str, str, str]]:
        """(code, name, query string) of each other language: the page's query (a chosen `?score=`) kept."""
        links = []
        for code, label in Language.choices:
            if code != self.language:
                query = self.request.GET.copy()
                query["lang"] = code
                links.append((code, label, query.urlencode()))
        return links

    def closed(self, state):
        template = "feedback/public/answered.html" if state == "answered" else "feedback/public/expired.html"
        return _public_response(self.render(template, status=200 if state == "answered" else 410))

    def form(self, data=None):
        questions = list(self.invitation.survey.questions.all())
        initial = {}
        primary = next((q for q in questions if q.is_primary), None)
        score = self.request.GET.get("score", "")
        if primary is not None and score.lstrip("-").isdigit():
            low, high = primary.effective_scale(self.invitation.survey.kind)
            if low <= int(score) <= high:
                initial[f"q{primary.pk}"] = str(int(score))
        return SurveyAnswerForm(
            data, initial=initial, survey=self.invitation.survey, questions=questions, language=self.language
        )

    def get(self, request, token):
        services.invitation_mark_opened(invitation_id=self.invitation.pk)
        return self.render(self.template_name, {"form": self.form()})

    def post(self, request, token):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                services.response_submit(
                    invitation_id=self.invitation.pk,
                    answers=form.answers(),
                    comment=form.cleaned_data.get("comment", ""),
                    language=self.language,
                )
            except services.InvitationClosed as exc:
                return self.closed("answered" if exc.reason == "answered" else "expired")
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                url = reverse("feedback:survey_thanks", kwargs={"token": token})
                return redirect(f"{url}?{urlencode({'lang': self.language})}")
        return self.render(self.template_name, {"form": form}, status=400)


@rate_limited
def survey_thanks(request, token):
    """The thank-you page after an answer; before one, back to the questions."""
    invitation = _invitation_for_token(token)
    if invitation is None:
        return _link_not_found(request)
    language = _page_language(request, invitation)
    if services.invitation_answer_state(invitation) != "answered":
        return _public_response(redirect("feedback:survey_answer", token=token))
    with translation.override(language):
        response = render(
            request,
            "feedback/public/thanks.html",
            {
                "survey": invitation.survey,
                "texts": delivery.survey_texts(invitation.survey, language),
                "thank_you": _thank_you(invitation.survey, language),
                "first_name": delivery.greeting_name(invitation.customer.first_name, language),
                "language": language,
            },
        )
    return _public_response(response)


@method_decorator(csrf_exempt, name="dispatch")  # RFC 8058 one-click POSTs come without a CSRF token
@method_decorator(rate_limited, name="dispatch")
class UnsubscribeView(View):
    """GET: a confirmation page; POST (the form or a mail client's one-click): opt out of surveys."""

    def get(self, request, token):
        invitation = _invitation_for_token(token)
        if invitation is None:
            return _link_not_found(request)
        return _render_public(request, "feedback/unsubscribe.html", invitation, {"done": False})

    def post(self, request, token):
        invitation = _invitation_for_token(token)
        if invitation is None:
            return _link_not_found(request)
        services.customer_survey_opt_out(invitation=invitation)
        return _render_public(request, "feedback/unsubscribe.html", invitation, {"done": True})
