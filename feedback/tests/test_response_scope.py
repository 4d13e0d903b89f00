"""/api/responses/ gives each role the rows its report scope gives it in /api/metrics/ (one scope function,
feedback.metrics.params.response_rows_scope): managers and marketers every answer, a rep their own."""

from datetime import date

import pytest

from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.metrics import rollup
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = pytest.mark.django_db

JAN = {"start": "2026-01-01", "end": "2026-01-31", "granularity": "month"}


@pytest.fixture
def other_rep(db):
    return UserFactory(username="rep2", role=Role.SUPPORT_REP)


@pytest.fixture
def answers(rep_user, other_rep):
    mine = [ResponseFactory(kind="nps", score=s, agent=rep_user, submitted_at=at(2026, 1, 5)) for s in (10, 9)]
    theirs = [ResponseFactory(kind="nps", score=s, agent=other_rep, submitted_at=at(2026, 1, 6)) for s in (0, 3, 4)]
    nobodys = [ResponseFactory(kind="nps", score=7, submitted_at=at(2026, 1, 7))]
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    return {"mine": mine, "theirs": theirs, "nobodys": nobodys}


def ids(response) -> set[int]:
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def metric_n(api) -> int:
    response = api.get("/api/metrics/", {"metric": "nps", **JAN})
    assert response.status_code == 200
    return sum(row["n"] for row in response.json()["results"])


def test_a_rep_reads_only_their_own_answers_as_in_their_figures(api_as, rep_user, answers):
    api = api_as(rep_user)
    rows = ids(api.get("/api/responses/"))
    assert rows == {r.pk for r in answers["mine"]}
    assert len(rows) == metric_n(api) == 2
    # Another rep's answer is not there at all, by id or by filter.
    assert api.get(f"/api/responses/{answers['theirs'][0].pk}/").status_code == 404
    theirs = {r.pk for r in answers["theirs"]}
    assert not ids(api.get("/api/responses/", {"agent": answers["theirs"][0].agent_id})) & theirs


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_managers_and_marketers_read_every_answer(api_as, manager_user, marketer_user, answers, role):
    user = {"manager": manager_user, "marketer": marketer_user}[role]
    every = {r.pk for group in answers.values() for r in group}
    assert ids(api_as(user).get("/api/responses/")) == every
    assert metric_n(api_as(manager_user)) == len(every)


def test_an_integration_reads_no_answers(api_as, integration_user, answers):
    assert api_as(integration_user).get("/api/responses/").status_code == 403
