"""`frontline token create --agent USER [--name N]`: an API token for an integration that acts as USER,
printed once (only its digest is kept). `frontline token revoke PREFIX` stops one."""

from django.core.management.base import BaseCommand, CommandError

from frontline.agents import services
from frontline.agents.models import Agent, ApiToken


class Command(BaseCommand):
    help = "API tokens: create one for an agent (printed once), or revoke one by its prefix."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        create = sub.add_parser("create", help="issue a token that acts as the agent; printed once")
        create.add_argument("--agent", required=True, help="the agent's username")
        create.add_argument("--name", default="", help="what uses it (default: 'token for USER')")
        revoke = sub.add_parser("revoke", help="stop a token at once")
        revoke.add_argument("prefix", help="the token's first characters, as lists show them (fl_...)")

    def handle(self, *args, what, **options):
        if what == "create":
            agent = Agent.objects.filter(user__username=options["agent"]).first()
            if agent is None:
                raise CommandError(f"no agent with the username {options['agent']!r}")
            _, plaintext = services.issue_api_token(agent, options["name"] or f"token for {options['agent']}")
            self.stdout.write(plaintext)
            self.stderr.write(f"Acts as {agent} ({agent.get_role_display()}). Copy it now: it is not stored.")
            return
        found = list(ApiToken.objects.filter(prefix=options["prefix"][:10], revoked_at=None))
        if len(found) != 1:
            raise CommandError(f"{len(found)} live tokens start with {options['prefix']!r}: give one exactly")
        services.revoke_api_token(found[0])
        self.stdout.write(f"Revoked {found[0]}")
