"""Who is acting: the user, the API key it used, and through which surface."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object
    api_key: object = None
    source: str = "api"  # "api", "web", "admin" or "system"

    @classmethod
    def from_request(cls, request, source=None):
        api_key = getattr(request, "auth", None)
        if source is None:
            source = "api" if api_key is not None else "web"
        return cls(user=request.user, api_key=api_key, source=source)
