#!/usr/bin/env bash
# manage.py with the production environment, as the units see it:
#   sudo -u cxcrm deploy/manage.sh migrate --noinput
# CXCRM_ENV_FILE names another environment file (default /etc/cxcrm/cxcrm.env).
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1090
. "${CXCRM_ENV_FILE:-/etc/cxcrm/cxcrm.env}"
set +a
exec .venv/bin/python manage.py "$@"
