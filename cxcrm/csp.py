"""The Content Security Policy on every response (django-csp 4), with the two places that need more.

Every page of ours runs only scripts and styles from our own static files: no inline <script>, no
style="" attribute, no <style> element (data for scripts goes in json_script blocks, which browsers
do not run). The policy itself is settings.CONTENT_SECURITY_POLICY; this middleware adds to it:

- under the admin (ADMIN_PREFIX), 'unsafe-inline' scripts and styles: Django's admin and
  django-nested-admin write inline styles and scripts that we do not control. The admin is staff
  only and everything it shows is escaped by Django; docs/security.md says so.
- on a 5xx answer, 'unsafe-inline' styles only: templates/500.html carries its own <style> because it
  must render when static files are what broke. It shows no data.
"""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts

ADMIN_PREFIX = "/admin/"
ADMIN_ADDITIONS = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}
SERVER_ERROR_ADDITIONS = {"style-src": [UNSAFE_INLINE]}


def _merged(update: dict | None, additions: dict) -> dict:
    merged = {key: list(value) for key, value in (update or {}).items()}
    for key, values in additions.items():
        merged[key] = merged.get(key, []) + list(values)
    return merged


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware with the admin's and the 500 page's additions (module docstring)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(ADMIN_PREFIX):
            parts.update = _merged(parts.update, ADMIN_ADDITIONS)
        if response.status_code >= 500:
            parts.update = _merged(parts.update, SERVER_ERROR_ADDITIONS)
        return parts
