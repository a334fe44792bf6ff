"""Error codes of members and invitations.

API errors subclass the shared hierarchy so the one handler renders them.
``InvitationUnavailable`` is for the invitation page, which shows its reason.
"""

from django.utils.translation import gettext_lazy as _

from connect_site.api.errors import Conflict


class MemberExists(Conflict):
    code = "member_exists"
    default_detail = _(
        "This email already belongs to an invited or active member of the team."
    )


class LastOwner(Conflict):
    code = "last_owner"
    default_detail = _(
        "A team needs at least one active owner; make another member owner first."
    )


class InvitationUnavailable(Exception):
    """The invitation behind a token cannot be accepted, for ``reason``."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EMAIL_MISMATCH = "email_mismatch"
    ALREADY_MEMBER = "already_member"
    ACCOUNT_EXISTS = "account_exists"

    def __init__(self, reason, membership=None):
        super().__init__(reason)
        self.reason = reason
        self.membership = membership
