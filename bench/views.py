"""A bare Django view beside the Teams API, to show what the framework costs.

It authenticates the same Bearer key with the same single query, runs the same
count and page queries as ``GET /v2/connect/teams`` and returns the rows with
``JsonResponse``: no DRF, no filters, no representation code.
"""

from django.http import JsonResponse

from members.keys import digest_api_key
from members.models import ApiKey
from teams.models import Team

SUMMARY_COLUMNS = [
    "public_id",
    "name",
    "description",
    "industry",
    "status",
    "country",
    "onboarding_total",
    "onboarding_done",
    "onboarding_completed",
    "created_at",
]


def teams_list_bare(request):
    key = request.headers.get("Authorization", "").removeprefix("Bearer ")
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(key_digest=digest_api_key(key), revoked_at__isnull=True)
        .first()
    )
    if api_key is None:
        return JsonResponse({"message": "Invalid API key."}, status=401)

    limit = int(request.GET.get("limit", "20"))
    teams = Team.objects.visible().for_user(api_key.user).with_onboarding()
    total = teams.count()
    rows = list(teams.values(*SUMMARY_COLUMNS)[:limit])
    return JsonResponse({"data": rows, "totalResults": total})
