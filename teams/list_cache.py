"""A cache of the team list's ``totalResults``, per user, dropped on change.

Counting a user's teams reads every one of them, which at 100,000 teams costs
more than the rest of the request. The count is kept under a per-user
generation token. Any change to one of the user's teams, their onboarding
steps or the user's memberships deletes the token, so the next list counts
again. Entries also expire after
COUNT_CACHE_SECONDS.
"""

import secrets

from django.core.cache import cache
from django.db import transaction


def generation_key(user_id):
    return f"connect:team-list-generation:{user_id}"


def user_generation(user_id):
    """Return the user's current generation token, making one if it is missing."""
    key = generation_key(user_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        token = cache.get(key)
    return token


def count_cache_key(request):
    """Return the cache key prefix of this caller's team counts."""
    limited_team = getattr(request.auth, "team_id", None)
    user_id = request.user.pk
    return (
        f"connect:team-list-count:{user_id}:{user_generation(user_id)}:{limited_team}"
    )


def generations_drop(user_ids):
    """Drop the users' cached counts now and again once the transaction commits.

    A list served between the change and its commit may cache a count that
    misses the change, under the token made after the first drop. The second
    drop makes that entry unreachable.
    """
    keys = [generation_key(user_id) for user_id in set(user_ids) if user_id]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
