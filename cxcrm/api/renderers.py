"""The API's JSON renderer: DRF's, except that a lone surrogate in the data (JSON's "\\ud800", quoted back by
an error message such as '"\\ud800" is not a valid choice.') is sent as U+FFFD instead of failing to encode
as UTF-8 (a 500). Text holding one is never stored (cxcrm.validators.text_storable_check), so only echoed
input can carry it."""

from rest_framework import renderers

from cxcrm.validators import lone_surrogates_replace


class JSONRenderer(renderers.JSONRenderer):
    """renderers.JSONRenderer whose output is always valid UTF-8 (module docstring)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(lone_surrogates_replace(data), accepted_media_type, renderer_context)
