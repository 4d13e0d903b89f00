#!/usr/bin/env bash
# Production smoke test: DEBUG off with a generated SECRET_KEY, a throwaway database (SQLite
# here, or SMOKE_DATABASE_URL), the README's Deploy steps (migrate, collectstatic,
# compilemessages), then gunicorn on a free loopback port must serve the login page, the
# admin login, a signed-in customer page, a survey page and a static file with 200.
# Plain HTTP on the loopback: SECURE_SSL_REDIRECT=false, and every request says
# X-Forwarded-Proto: https, as the TLS-terminating proxy would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PY=$BIN/python

work=$(mktemp -d -t cxcrm-smoke-XXXXXX)
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gunicorn_pid=
finish() {
  if [ -n "$gunicorn_pid" ]; then kill -TERM "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap finish EXIT

export DEBUG=false
SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL="https://127.0.0.1:$port"
export SECURE_SSL_REDIRECT=false
export DATABASE_URL=${SMOKE_DATABASE_URL:-sqlite:///$work/db.sqlite3}
export CELERY_BROKER_URL=${SMOKE_BROKER_URL:-filesystem://}
export CXCRM_VAR_DIR=$work/var
export STATIC_ROOT=$work/static
unset CXCRM_TESTING DJANGO_SETTINGS_MODULE SQLITE_PATH

fail() {
  echo "FAIL: $*"
  [ -f "$work/gunicorn.log" ] && tail -n 40 "$work/gunicorn.log"
  exit 1
}

# The deploy checks as production runs them (redirecting to HTTPS itself).
SECURE_SSL_REDIRECT=true $PY manage.py check --deploy --fail-level WARNING
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py compilemessages --ignore .venv -v0

# A staff user, a customer and a survey invitation; prints "<customer id> <survey path>".
read -r customer_id survey_path < <($PY manage.py shell -c '
from django.contrib.auth import get_user_model
from customers.services import customer_create
from feedback.services import invitation_create_link, survey_create
from feedback.tokens import survey_url

get_user_model().objects.create_superuser("smoke", "smoke@example.org", "smoke-password-1")
customer = customer_create(first_name="Ana", last_name="Smoke", language="pt-br")
survey = survey_create(
    fields={"name": "Smoke CSAT", "kind": "csat", "delivery_channel": "link"},
    questions=[{"type": "score", "is_primary": True, "text": "How satisfied were you?"}],
    texts=[{"language": "en", "title": "Your opinion"}],
)
invitation, _ = invitation_create_link(survey=survey, customer=customer)
print(customer.pk, survey_url(invitation.pk, absolute=False))
' | tail -n 1)
[ -n "$survey_path" ] || fail "could not create the smoke data"

$BIN/gunicorn cxcrm.wsgi --bind "127.0.0.1:$port" --workers 1 --threads 2 --log-level warning \
  >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!

base="http://127.0.0.1:$port"
jar="$work/cookies"
get() { curl -sS -o "$work/body" -w '%{http_code}' -H 'X-Forwarded-Proto: https' -b "$jar" -c "$jar" "$@"; }
expect() {  # expect STATUS WHAT CURL-ARGS...
  local want=$1 what=$2 got
  shift 2
  got=$(get "$@") || got=000
  [ "$got" = "$want" ] || fail "$what answered $got, expected $want"
  echo "ok   $got $what"
}

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null -H 'X-Forwarded-Proto: https' "$base/health/" 2>/dev/null && break
  kill -0 "$gunicorn_pid" 2>/dev/null || fail "gunicorn stopped"
  sleep 0.5
done

expect 200 "the login page" "$base/accounts/login/"
static_path=$(grep -o '/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]*\.css' "$work/body" | head -n 1)
[ -n "$static_path" ] || fail "the login page names no hashed static file"
expect 200 "the static file $static_path" "$base$static_path"
expect 200 "the admin login" "$base/admin/login/"

csrf=$(awk '$6 == "csrftoken" { print $7 }' "$jar")
[ -n "$csrf" ] || fail "no CSRF cookie"
expect 302 "signing in" -X POST -H "Referer: https://127.0.0.1:$port/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode "username=smoke" \
  --data-urlencode "password=smoke-password-1" "$base/accounts/login/"
expect 200 "a customer page" "$base/customers/$customer_id/"
grep -q "Ana Smoke" "$work/body" || fail "the customer page does not show the customer"
expect 200 "a survey page" "$base$survey_path"
grep -q 'data-testid="survey-form"' "$work/body" || fail "the survey page shows no form"
expect 404 "a survey link cut short" "$base${survey_path:0:8}/"
grep -q 'data-testid="link-not-found"' "$work/body" || fail "a cut link does not get the friendly page"
expect 404 "an unknown page" "$base/no-such-page/"
grep -q 'data-testid="page-not-found"' "$work/body" || fail "an unknown page does not get the site's 404 page"
echo "== production smoke test passed (DEBUG off, gunicorn on 127.0.0.1:$port)"
