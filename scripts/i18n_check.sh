#!/usr/bin/env bash
# The translation check (make i18n-check, CI): makemessages brings every marked text of the templates, the
# code and our JavaScript (djangojs) into the catalogues, then the check fails when an entry of the pt-BR, es, pl or el catalogue is
# untranslated or fuzzy, or when msgfmt refuses one (a placeholder missing from its translation).
# It rewrites locale/*/LC_MESSAGES/django.po as makemessages does (new entries, references).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LOCALES=${I18N_LOCALES:-"pt_BR es pl el"}

args=()
for locale in $LOCALES; do args+=(-l "$locale"); done
ignore=(--ignore .venv --ignore 'var/*' --ignore 'staticfiles/*')
"$PY" manage.py makemessages "${args[@]}" "${ignore[@]}" --no-obsolete -v0
"$PY" manage.py makemessages -d djangojs "${args[@]}" "${ignore[@]}" --ignore 'static/vendor/*' --no-obsolete -v0

failed=0
for po in $(for locale in $LOCALES; do echo "locale/$locale/LC_MESSAGES/django.po locale/$locale/LC_MESSAGES/djangojs.po"; done); do
  if ! stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
    echo "FAIL $po: msgfmt refuses it:"; echo "$stats"; failed=1; continue
  fi
  untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$po" | grep -c '^#:' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$po" | grep -c '^#:' || true)
  if [ "$untranslated" != 0 ] || [ "$fuzzy" != 0 ]; then
    echo "FAIL $po: $untranslated untranslated, $fuzzy fuzzy:"
    { msgattrib --untranslated --no-obsolete --no-wrap "$po"; msgattrib --only-fuzzy --no-obsolete --no-wrap "$po"; } \
      | { grep -A1 '^#' || true; } | { grep '^msgid "[^"]' || true; } | sed 's/^/    /' | head -n 40
    failed=1
  else
    echo "ok   $po: $stats"
  fi
done
exit $failed
