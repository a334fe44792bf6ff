"""Bearer API key authentication."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from connect_site.api import (
    errors,
    schema,  # noqa: F401  registers the bearer scheme
)
from members.keys import digest_api_key, looks_like_api_key
from members.models import ApiKey


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer ck_live_...``.

    An unknown key and a revoked key get the same response, so a caller cannot
    tell whether a key ever existed.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != b"bearer":
            # Another scheme, such as Basic, is not an API key at all.
            raise errors.AuthenticationRequired()
        if len(header) != 2:
            raise errors.InvalidApiKey()
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise errors.InvalidApiKey() from None
        if not looks_like_api_key(key):
            # The format is public, so rejecting it before the database
            # lookup reveals nothing and spares a query per junk request.
            raise errors.InvalidApiKey()

        api_key = (
            ApiKey.objects.select_related("user")
            .filter(key_digest=digest_api_key(key), revoked_at__isnull=True)
            .first()
        )
        if api_key is None or not api_key.user.is_active:
            raise errors.InvalidApiKey()
        self.record_use(api_key)
        return api_key.user, api_key

    def record_use(self, api_key):
        """Write the key's last use at most once a minute, to spare the database."""
        now = timezone.now()
        interval = timedelta(seconds=settings.CONNECT_API_KEY_LAST_USED_INTERVAL)
        if api_key.last_used_at is None or now - api_key.last_used_at >= interval:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
