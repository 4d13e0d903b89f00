#!/usr/bin/env bash
# Starts cxcrm in the foreground: migrations, demo data (once), then the web
# server, a Celery worker and Celery beat. One Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every process below reads PORT: unless SITE_URL is set, survey, unsubscribe and case
# links are built on http://127.0.0.1:$PORT (cxcrm/settings.py).
export PORT=${PORT:-8000}
BIN=.venv/bin
PY=$BIN/python

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v0
# Progress goes to stderr; the logins (stdout) are repeated once everything runs.
LOGINS=$($PY manage.py load_demo)
echo "$LOGINS"

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping web, worker and beat…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$BIN/gunicorn cxcrm.wsgi --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --access-logfile - --log-level warning &
pids+=($!)
$BIN/celery -A cxcrm worker --loglevel INFO --concurrency 2 --without-gossip --without-mingle &
pids+=($!)
$BIN/celery -A cxcrm beat --loglevel INFO --pidfile= &
pids+=($!)

cat <<MSG

  cxcrm is running at http://127.0.0.1:$PORT/   (API docs: http://127.0.0.1:$PORT/api/docs/)
  Links in emails start with ${SITE_URL:-http://127.0.0.1:$PORT}/
$LOGINS

  Press Ctrl-C to stop.

MSG
# Exit (and stop the others) as soon as any one of them stops.
wait -n
