"""Content negotiation that always selects JSON."""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonOnlyContentNegotiation(DefaultContentNegotiation):
    """Select the JSON renderer whatever the Accept header requests.

    The API has one representation, so a client sending ``Accept: text/html``
    gets JSON rather than a 406 that names no fix, and ``?format=`` is left
    to the views, which reject it as an unknown query parameter. The schema
    view keeps DRF's negotiation, so that it still serves YAML or JSON.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
