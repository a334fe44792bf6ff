from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from connect_site.actors import Actor
from connect_site.api.errors import NotFound
from members.access import team_access
from members.models import ApiKey
from members.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for EMAIL, creating the user if needed. The key is printed on the last line."

    def add_arguments(self, parser):
        parser.add_argument("email", help="Email address of the key's user.")
        parser.add_argument(
            "--name", default="Command line key", help="A name to tell the key apart."
        )
        parser.add_argument(
            "--team",
            help="Limit the key to this team id (team_...); the user must be an active member.",
        )

    def handle(self, *args, email, name, team, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{email}' is not a valid email address.") from None
        name_max_length = ApiKey._meta.get_field("name").max_length
        if not name.strip() or len(name) > name_max_length:
            raise CommandError(
                f"--name must be 1 to {name_max_length} characters long."
            )
        User = get_user_model()
        # The pages create users with the lower-cased email as username, so
        # either one finds an existing account.
        user = (
            User.objects.filter(email__iexact=email).first()
            or User.objects.filter(username=email.lower()).first()
        )
        if user is None:
            user = User.objects.create_user(username=email.lower(), email=email)
            self.stdout.write(f"Created user {email}.")
        limited_team = None
        if team:
            try:
                limited_team = team_access(actor=Actor(user=user), team_id=team).team
            except NotFound:
                raise CommandError(
                    f"{email} is not an active member of a team with id {team}."
                ) from None
        api_key, secret = api_key_create(user=user, name=name, team=limited_team)
        self.stdout.write(
            f"Created API key {api_key.public_id} ({name}). It is shown only once:"
        )
        self.stdout.write(secret)
