"""The invitation email: the team's language and branding, text and HTML."""

import re
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from members.roles import Role

# Only a plain #RRGGBB value reaches the HTML's style attributes.
HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_PRIMARY_COLOR = "#1F2937"


def invitation_accept_url(token):
    return settings.CONNECT_BASE_URL + reverse("invitation-accept", args=[token])


def single_line(value):
    """Collapse whitespace, so a branding value cannot add email headers."""
    return " ".join(str(value or "").split())


def team_branding(team):
    """Return the branding values the email and the pages use, with fallbacks."""
    branding = team.branding or {}
    color = branding.get("primaryColor") or ""
    logo_url = branding.get("logoUrl") or ""
    return {
        "display_name": single_line(branding.get("displayName")) or team.name,
        "logo_url": logo_url if str(logo_url).startswith("https://") else "",
        "primary_color": color
        if HEX_COLOR.match(str(color))
        else DEFAULT_PRIMARY_COLOR,
        "footer_text": branding.get("footerText") or "",
        "email_from_name": single_line(branding.get("emailFromName")),
        "reply_to_email": single_line(branding.get("replyToEmail")),
    }


def invitation_email_build(*, membership, token):
    """Build the invitation for ``membership`` in its team's language.

    The From name and Reply-To come from the team's branding; the address
    stays DEFAULT_FROM_EMAIL, so the platform's own domain sends the email.
    """
    team = membership.team
    branding = team_branding(team)
    inviter = membership.invited_by
    language = team.language if team.language in ("es", "en") else "es"

    with translation.override(language):
        context = {
            "branding": branding,
            "team_name": branding["display_name"],
            "inviter_name": (inviter.get_full_name() if inviter else "")
            or (inviter.email if inviter else ""),
            "inviter_email": inviter.email if inviter else "",
            "role": Role(membership.role).label,
            "invite_message": membership.invite_message,
            "accept_url": invitation_accept_url(token),
            "expires_at": membership.invite_expires_at,
            "language": language,
        }
        subject = single_line(
            render_to_string("members/email/invitation_subject.txt", context)
        )
        text_body = render_to_string("members/email/invitation.txt", context)
        html_body = render_to_string("members/email/invitation.html", context)

    from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    from_name = branding["email_from_name"] or branding["display_name"]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=formataddr((from_name, from_address)),
        to=[membership.email],
        reply_to=[branding["reply_to_email"]] if branding["reply_to_email"] else None,
        headers={"Content-Language": language},
    )
    message.attach_alternative(html_body, "text/html")
    return message
