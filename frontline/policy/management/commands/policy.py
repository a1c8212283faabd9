"""`frontline policy simulate RULE --since 90d`: replay past events against a changed rule before enabling it.

`frontline policy report` prints the rules to fix.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from frontline.core.errors import ServiceError
from frontline.policy import reports
from frontline.policy.models import PolicyRule

_SPAN = re.compile(r"^(\d+)([dhm])$")


def parse_span(text: str) -> timedelta:
    match = _SPAN.match(text.strip())
    if not match:
        raise CommandError(f"--since {text!r}: write a number and d, h or m, such as 90d")
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: number})


def find_rule(ref: str) -> PolicyRule:
    rule = PolicyRule.objects.filter(name=ref).first()
    if rule is None and ref.isdigit():
        rule = PolicyRule.objects.filter(pk=int(ref)).first()
    if rule is None:
        names = ", ".join(PolicyRule.objects.order_by("name").values_list("name", flat=True)[:20])
        raise CommandError(f"no rule named {ref!r}; rules: {names or 'none yet'}")
    return rule


class Command(BaseCommand):
    help = "Policy rules: simulate a changed rule over past events, or print the rules to fix."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        simulate = sub.add_parser("simulate", help="replay past events against a changed rule")
        simulate.add_argument("rule", help="the rule's name (or id)")
        simulate.add_argument("--since", default="90d", help="how far back: 90d, 12h... (default 90d)")
        simulate.add_argument("--condition", help="the changed CEL condition (default: the rule's own)")
        simulate.add_argument("--action", help="the changed action (default: the rule's own)")
        simulate.add_argument("--examples", type=int, default=5, help="events to list per difference")
        sub.add_parser("report", help="the rules to fix: firings, override rate, outcomes")

    def handle(self, *args, what, **options):
        if what == "report":
            return self.report()
        rule = find_rule(options["rule"])
        try:
            result = reports.simulate(
                rule,
                since=parse_span(options["since"]),
                condition=options["condition"],
                action=options["action"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        out = self.stdout.write
        out(
            f"Rule {rule.name!r} (version {rule.version}), {rule.get_trigger_display().lower()} events since "
            f"{options['since']} ago: {result.events:,} replayed in {result.seconds:.1f} s"
        )
        if result.condition != rule.condition:
            out(f"  condition then: {rule.condition}")
            out(f"  condition now:  {result.condition}")
        if result.action != rule.action:
            out(f"  action then: {rule.action}; now: {result.action}")
        out(f"Fired then: {result.fired_before:,}; would fire now: {result.fired_after:,}")
        out(f"  would now fire where it did not: {len(result.newly):,}")
        out(
            f"  would no longer fire: {len(result.no_longer):,} "
            f"(people had overridden {result.no_longer_overridden:,} of those)"
        )
        out(f"  fires both ways with another action: {result.changed_action:,}")
        if result.failed:
            out(f"  could not be evaluated on {result.failed:,} stored contexts")
        for title, items in (("Newly firing", result.newly), ("No longer firing", result.no_longer)):
            if items:
                out(f"{title}, first {min(len(items), options['examples'])}:")
                for event_id, unit_id, at in items[: options["examples"]]:
                    out(f"  event {event_id} on unit {unit_id} at {at}")

    def report(self):
        out = self.stdout.write
        out(
            f"{'rule':40} {'fired':>6} {'overr.':>6} {'rate':>5} {'held':>5} {'rep.':>5} {'reop.':>5} "
            f"{'early':>5} {'goodw.':>6}  verdict"
        )
        for row in reports.rules_to_fix():
            out(
                f"{row.rule.name[:40]:40} {row.fired:6} {row.overridden:6} {row.override_rate:5.0%} "
                f"{row.held:5} {row.repeated:5} {row.reopened:5} {row.too_early:5} {row.goodwill:6}  "
                f"{row.verdict}"
            )
