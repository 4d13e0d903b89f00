import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_with_good_password_lands_signed_in(client, rep_user):
    response = client.post(reverse("login"), {"username": "rep", "password": "pass-word-1"}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == "rep"


def test_login_with_bad_password_shows_error(client, rep_user):
    response = client.post(reverse("login"), {"username": "rep", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logout_by_post(client, rep_user):
    client.force_login(rep_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_reset_emails_a_working_link(client, rep_user):
    response = client.post(reverse("password_reset"), {"email": "rep@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    page = client.get(link, follow=True)
    assert b"Choose a new password" in page.content
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    done = client.post(set_url, {"new_password1": "A-new-pass-42", "new_password2": "A-new-pass-42"})
    assert done.status_code == 302
    rep_user.refresh_from_db()
    assert rep_user.check_password("A-new-pass-42")


def test_password_reset_for_unknown_email_sends_nothing(client):
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert mail.outbox == []
