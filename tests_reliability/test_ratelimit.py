import pytest
import redis
from django.core.cache import cache

from connect_site.ratelimit import WINDOW_SECONDS, rate_limit_hit


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def small_limits(settings):
    settings.CONNECT_RATE_LIMIT_READS_PER_MINUTE = 3
    settings.CONNECT_RATE_LIMIT_WRITES_PER_MINUTE = 2
    return settings


def test_counter_allows_up_to_limit():
    waits = [
        rate_limit_hit(identity="key_a", scope="read", limit=3, now=120.0)
        for _ in range(4)
    ]

    assert waits == [0, 0, 0, 60]


def test_counter_waits_until_window_ends():
    for _ in range(2):
        rate_limit_hit(identity="key_a", scope="read", limit=1, now=130.2)

    wait = rate_limit_hit(identity="key_a", scope="read", limit=1, now=130.2)

    assert wait == 50


def test_counter_resets_in_next_window():
    for _ in range(3):
        rate_limit_hit(identity="key_a", scope="read", limit=1, now=100.0)

    wait = rate_limit_hit(
        identity="key_a", scope="read", limit=1, now=100.0 + WINDOW_SECONDS
    )

    assert wait == 0


@pytest.mark.django_db
def test_reads_over_limit_get_429_with_retry_after(owner_client, small_limits):
    statuses = [owner_client.get("/v2/connect/teams").status_code for _ in range(3)]

    response = owner_client.get("/v2/connect/teams")

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "Too many requests. Retry after the number of seconds in "
            "Retry-After.",
        },
        "message": "Too many requests. Retry after the number of seconds in "
        "Retry-After.",
        "requestId": response["X-Request-Id"],
    }
    assert 1 <= int(response["Retry-After"]) <= WINDOW_SECONDS


@pytest.mark.django_db
def test_writes_have_their_own_limit(owner_client, small_limits):
    for _ in range(3):
        owner_client.get("/v2/connect/teams")

    writes = [
        owner_client.post(
            "/v2/connect/teams", data={"name": "Limited"}, format="json"
        ).status_code
        for _ in range(3)
    ]

    assert writes == [201, 201, 429]


@pytest.mark.django_db
def test_limit_is_per_api_key(owner, make_key_client, small_limits):
    first_client = make_key_client(owner)
    second_client = make_key_client(owner)
    for _ in range(4):
        first_client.get("/v2/connect/teams")

    response = second_client.get("/v2/connect/teams")

    assert response.status_code == 200


@pytest.mark.django_db
def test_rate_limited_post_is_not_stored_for_idempotency(owner_client, small_limits):
    for _ in range(2):
        owner_client.post("/v2/connect/teams", data={"name": "Filler"}, format="json")
    limited = owner_client.post(
        "/v2/connect/teams",
        data={"name": "Later"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-me",
    )
    cache.clear()

    retried = owner_client.post(
        "/v2/connect/teams",
        data={"name": "Later"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-me",
    )

    assert limited.status_code == 429
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


@pytest.mark.django_db
def test_zero_limit_turns_limit_off(owner_client, settings):
    settings.CONNECT_RATE_LIMIT_READS_PER_MINUTE = 0

    statuses = {owner_client.get("/v2/connect/teams").status_code for _ in range(5)}

    assert statuses == {200}


@pytest.fixture
def redis_cache():
    """The project's cache backend on this suite's Redis database 7."""
    from django.core.cache.backends.redis import RedisCache

    redis_cache = RedisCache(
        "redis://127.0.0.1:6379/7", {"KEY_PREFIX": "connect-rel-test"}
    )
    try:
        redis_cache.clear()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"needs Redis on 127.0.0.1:6379: {exc}")
    yield redis_cache
    redis_cache.clear()


def test_redis_counter_is_shared_and_atomic(redis_cache, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from connect_site import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)

    def hit(_index):
        return rate_limit_hit(identity="key_a", scope="write", limit=50, now=600.0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(hit, range(80)))

    assert waits.count(0) == 50
    assert waits.count(60) == 30
