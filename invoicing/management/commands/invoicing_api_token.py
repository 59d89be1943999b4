"""Create, or print, the API token of a user: ``manage.py invoicing_api_token <username> [--rotate]``.

The token authenticates as that user (``Authorization: Token <key>``); what it can see and do is
what the user may, in the admin's permissions and websites."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create or print the invoicing API token of a user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace the user's token with a new one.")

    def handle(self, *args, username, rotate, **options):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{username!r} is not an active staff user; the API would refuse the token.")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created and not rotate:
            self.stderr.write(f"Created a token for {username}.")
        elif rotate:
            self.stderr.write(f"Replaced the token of {username}; the old one no longer works.")
        self.stdout.write(token.key)
