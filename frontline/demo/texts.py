"""Case texts for the demo provider, varied in wording per topic.

Each text is assembled from several independent choices (greeting, how the problem shows, a detail, what
they tried, how urgent it is, a sign-off) with values filled in, so thousands of cases read differently
while each still sounds like its topic. Later features (routing, similar cases) learn from these.
"""

import random
from dataclasses import dataclass

from frontline.demo import symptoms

SKILLS = {
    "web-hosting": "Web hosting",
    "dns": "DNS",
    "email-delivery": "Email delivery",
    "ssl": "SSL certificates",
    "network": "Network and lines",
    "abuse-security": "Abuse and security",
    "billing": "Billing",
    "account-access": "Account access",
    "performance": "Performance",
}

SUBJECTS = {
    "web-hosting": [
        "{domain} is down",
        "Site not loading: {domain}",
        "503 on {domain}",
        "Website offline",
        "{domain} shows an error page",
        "Our site returns {code} since {time}",
        "Blank page on {domain}",
        "WordPress site broken after update",
        "Can't reach {domain}",
    ],
    "dns": [
        "DNS not resolving for {domain}",
        "{domain} points to the wrong server",
        "MX records missing",
        "Domain not working after transfer",
        "Nameserver change for {domain}",
        "Subdomain {sub}.{domain} gone",
        "TXT record for verification",
        "DNS propagation problem",
    ],
    "email-delivery": [
        "Emails bouncing from {mailbox}",
        "Outgoing mail rejected",
        "Not receiving email",
        "Mail stuck in queue",
        "Our mails land in spam",
        "550 relay denied when sending",
        "Mailbox {mailbox} not getting messages",
        "Clients say our emails never arrive",
    ],
    "ssl": [
        "Certificate expired on {domain}",
        "SSL warning on {domain}",
        "HTTPS not working",
        "Let's Encrypt renewal failed",
        "Browser says connection not private",
        "Mixed content on {domain}",
        "Certificate name mismatch",
    ],
    "network": [
        "Line down at {site}",
        "No internet at the office",
        "Packet loss on our line",
        "Fibre connection dropping",
        "Can't reach anything from {ip}",
        "Line {line} keeps flapping",
        "Very high latency on the business line",
        "Router shows no link",
    ],
    "abuse-security": [
        "Abuse report about {ip}",
        "Site hacked?",
        "Malware warning on {domain}",
        "Our server is sending spam",
        "Suspicious logins on the account",
        "Phishing page found on {domain}",
        "Blacklisted IP {ip}",
        "Why was {domain} suspended?",
    ],
    "billing": [
        "Question about invoice {invoice}",
        "Charged twice this month",
        "Change payment method",
        "Refund request",
        "Upgrade to the business plan",
        "Invoice amount wrong",
        "VAT number on invoices",
        "Direct debit failed",
    ],
    "account-access": [
        "Can't log in to the control panel",
        "Password reset not arriving",
        "Locked out of the account",
        "Two-factor device lost",
        "Add a colleague to our account",
        "Change account owner",
        "Login page says account disabled",
    ],
    "performance": [
        "{domain} very slow",
        "Site takes {n} seconds to load",
        "Timeouts on checkout",
        "Database slow since {time}",
        "CPU limit reached emails",
        "Pages hang under load",
        "Slow admin area on {domain}",
    ],
}

GREETINGS = [
    "Hi,",
    "Hello,",
    "Hello support,",
    "Dear Northwind team,",
    "Hi there,",
    "Good morning,",
    "Hey,",
    "To whom it may concern,",
    "Hi team,",
    "",
]

PROBLEMS = {
    "web-hosting": [
        "our website {domain} has been down since {time}.",
        "{domain} returns a {code} error for every page.",
        "visitors get a '503 Service Unavailable' on {domain}.",
        "the site shows a blank white page since this morning.",
        "after the WordPress update the site only shows 'Error establishing a database connection'.",
        "the homepage of {domain} loads but every other page gives a {code}.",
        "the site on {host} stopped responding about {n} hours ago.",
        "our shop at {domain} is offline and customers cannot order.",
    ],
    "dns": [
        "{domain} no longer resolves; dig returns SERVFAIL.",
        "the A record for {domain} still points to the old server.",
        "we changed the nameservers {n} days ago and the domain still doesn't work.",
        "the MX records for {domain} disappeared from the zone.",
        "{sub}.{domain} stopped resolving after yesterday's change in the control panel.",
        "we need a TXT record added so our mail provider can verify {domain}.",
        "some people can reach {domain} and others get 'server not found'.",
    ],
    "email-delivery": [
        "every mail we send from {mailbox} comes back with '550 relay denied'.",
        "we have not received any email on {mailbox} since {time}.",
        "our newsletters are landing in spam at the big providers.",
        "outgoing messages sit in the queue and never leave.",
        "clients tell us our invoices never arrive, but nothing bounces.",
        "sending fails with 'SMTP authentication failed' although the password is right.",
        "mail to {mailbox} bounces with 'mailbox full' but it is nearly empty.",
    ],
    "ssl": [
        "the certificate on {domain} expired and browsers block the site.",
        "visitors see 'Your connection is not private' on {domain}.",
        "the automatic renewal failed, the panel says 'challenge did not validate'.",
        "https://{domain} shows a certificate for a different name.",
        "the padlock is gone because of mixed content warnings.",
        "we installed our own certificate but the chain seems incomplete.",
    ],
    "network": [
        "the line at {site} has been down since {time}, the router shows no link.",
        "we see {n}% packet loss to everything outside the office.",
        "the fibre drops every few minutes and comes back.",
        "latency jumped to {n} ms on the business line.",
        "nothing behind {ip} can reach the internet.",
        "the whole office lost connectivity at {time}.",
        "the static IPs on our /29 stopped routing.",
    ],
    "abuse-security": [
        "we received an abuse report saying {ip} sends spam.",
        "Google flags {domain} as dangerous.",
        "there are files on the server we did not upload, looks like a hack.",
        "someone logged into the control panel from an unknown country.",
        "a phishing page was found under {domain}/{path}.",
        "our IP {ip} is on a blocklist and mail is rejected.",
        "{domain} was suspended and we were not told why.",
    ],
    "billing": [
        "invoice {invoice} is higher than what we agreed.",
        "we were charged twice for {month}.",
        "we want to change the card the subscription is paid with.",
        "the direct debit failed and now we have a reminder.",
        "please add our VAT number to future invoices.",
        "we would like to upgrade from Starter to Business.",
        "we cancelled a service but it is still being billed.",
    ],
    "account-access": [
        "I can't log into the control panel, it says the password is wrong.",
        "the password reset email never arrives.",
        "our account got locked after too many attempts.",
        "I lost the phone with the two-factor app.",
        "we need to add a colleague who can manage DNS.",
        "the previous owner left the company and we need to take over the account.",
        "the login page says the account is disabled.",
    ],
    "performance": [
        "{domain} has become very slow, pages take {n} seconds.",
        "checkout times out under load.",
        "the database queries got slow after {time}.",
        "we keep getting 'resource limit reached' emails.",
        "the admin area takes ages to load.",
        "the site is fine at night but crawls during the day.",
    ],
}

DETAILS = [
    "Nothing changed on our side as far as I know.",
    "We did deploy a small change yesterday.",
    "I already cleared the cache and tried another browser.",
    "It happens from the office and from home.",
    "Colleagues see the same thing.",
    "I restarted the router, no difference.",
    "The status page says everything is fine.",
    "Screenshot attached.",
    "Error message: {code} {reason}.",
    "It started right after your maintenance window.",
    "We are on the {plan} plan if that matters.",
    "",
    "",
]

URGENCY = [
    "This is costing us orders.",
    "Please look at it as soon as you can.",
    "Not urgent, but we'd like it sorted this week.",
    "Our customers are complaining.",
    "We have a launch tomorrow.",
    "Can someone call me back?",
    "Please advise.",
    "",
    "",
]

SIGNOFFS = [
    "Thanks",
    "Thanks,",
    "Regards",
    "Best regards,",
    "Cheers",
    "Thank you",
    "Kind regards",
    "Many thanks",
]

RESOLUTIONS = {
    "web-hosting": [
        "PHP-FPM pool on {host} had hit max_children; raised the limit and restarted the pool.",
        "Site's .htaccess had a rewrite loop after a plugin update; restored the previous file.",
        "Database user password had been rotated by the customer's plugin; updated wp-config and confirmed.",
        "Disk quota reached on the account; cleared old backups with the customer's consent.",
        "Apache vhost missing after migration to {host}; re-created it from the panel.",
        "Corrupted plugin disabled via WP-CLI; site back, customer will update it.",
    ],
    "dns": [
        "Zone had a stale A record; corrected it to {host} and lowered TTL.",
        "Registrar still listed old nameservers; guided the customer through the change.",
        "MX records were removed by a panel template reset; restored from the zone history.",
        "Added the requested TXT record and confirmed with dig.",
        "DNSSEC DS record at the registrar no longer matched; removed it and re-signed.",
    ],
    "email-delivery": [
        "Relay {host} config change had removed the customer's network from mynetworks; reverted.",
        "Mailbox over quota flag stuck; recalculated quota.",
        "SPF record missing our relay; added include and DKIM key.",
        "Outbound queue blocked by a deferred message loop; flushed and fixed the forwarder.",
        "Customer's IP listed at a blocklist; delisted after cleaning the infected form.",
    ],
    "ssl": [
        "ACME challenge blocked by a redirect rule; exempted /.well-known and reissued.",
        "Intermediate certificate missing from the chain; installed the full chain.",
        "Certificate issued for www only; reissued with both names.",
        "Mixed content from hard-coded http links; ran search-replace on the database.",
    ],
    "network": [
        "Fibre fault at the street cabinet; field engineer replaced the patch, line stable.",
        "CPE firmware bug caused link flaps; upgraded firmware remotely.",
        "Routing for the /29 lost after a core change; restored the static route.",
        "Congested uplink at the PoP; traffic moved to the second uplink.",
    ],
    "abuse-security": [
        "Infected contact form script removed; malware scan clean; passwords rotated.",
        "Host behind the line cleaned by the customer's IT; filter lifted after re-scan.",
        "Compromised panel login; reset password, enforced two-factor, no data changed.",
        "Phishing directory removed, report answered, customer told how it got in.",
    ],
    "billing": [
        "Duplicate charge refunded; the payment provider retried a timed-out request.",
        "Invoice corrected for the agreed discount and re-sent.",
        "Payment method updated; failed direct debit re-collected without fee.",
        "Plan upgraded with pro-rated invoice.",
    ],
    "account-access": [
        "Identity verified by phone; two-factor reset and new device enrolled.",
        "Reset emails were going to an old address; updated the account email.",
        "Account owner transferred after signed authorisation from the company.",
        "Lock-out cleared; customer added a second admin.",
    ],
    "performance": [
        "Slow queries from a missing index; added the index with the customer's developer.",
        "Account was throttled by CPU limits; moved to a larger plan temporarily.",
        "Object cache enabled; page time down from {n}s to under 1s.",
        "Noisy neighbour on {host}; migrated the account to a quieter server.",
    ],
}

CHASERS = [
    "Any news on this?",
    "Hello? Is anyone looking at this?",
    "Still broken.",
    "It's been {n} hours now.",
    "Following up on my earlier message.",
    "Can I get an update please?",
    "Still no reply, this is urgent.",
]

REPLIES = [
    "Thanks for reporting this. I'm looking into it now and will update you within the hour.",
    "I can see the problem on our side and I'm working on it.",
    "Could you tell me when you first noticed this and whether anything changed?",
    "We have found the cause and are applying a fix now.",
    "This should be fixed now. Could you check and confirm?",
]


@dataclass
class CaseText:
    subject: str
    body: str
    resolution: str


class _Values(dict):
    """Template values for one text, made only when a template asks (most use one or two), and then kept,
    so that a text that names the error code twice names the same one."""

    def __init__(self, rng: random.Random, ctx: dict):
        super().__init__(ctx)
        self.rng = rng

    def __missing__(self, key):
        value = getattr(self, f"_{key}")()
        self[key] = value
        return value

    def _domain(self):
        return "example.com"

    def _host(self):
        return f"web-{self.rng.randint(1, 20):02d}"

    def _mailbox(self):
        return f"info@{self['domain']}"

    def _ip(self):
        return f"192.0.2.{self.rng.randint(2, 250)}"

    def _site(self):
        return "our main office"

    def _line(self):
        return f"L{self.rng.randint(1000, 9999)}"

    def _sub(self):
        return self.rng.choice(["shop", "mail", "api", "blog", "staging", "portal"])

    def _path(self):
        return self.rng.choice(["wp-content/uploads/x", "tmp/login", "secure/update"])

    def _code(self):
        return self.rng.choice(["500", "502", "503", "504", "403", "404"])

    def _reason(self):
        return self.rng.choice(["Bad Gateway", "Service Unavailable", "Gateway Timeout", "Forbidden"])

    def _time(self):
        return self.rng.choice(
            ["this morning", "last night", "yesterday", "about 9am", "Friday", "the weekend"]
        )

    def _n(self):
        return self.rng.choice([2, 3, 5, 8, 12, 20, 30, 45])

    def _invoice(self):
        return f"INV-{self.rng.randint(10000, 99999)}"

    def _month(self):
        return self.rng.choice(["March", "April", "May", "June", "July", "August", "September"])

    def _plan(self):
        return "Starter"


def _fill(template: str, values: _Values) -> str:
    return template.format_map(values) if "{" in template else template


def compose(topic: str, rng: random.Random, ctx: dict) -> CaseText:
    values = _Values(rng, ctx)
    parts = [rng.choice(GREETINGS)]
    # Half the time in the customer's own words: a thing and a state, drawn independently (symptoms.py).
    problem = _fill(
        symptoms.symptom(topic, rng) if rng.random() < 0.5 else rng.choice(PROBLEMS[topic]), values
    )
    subject = problem.rstrip(".")[:80] if rng.random() < 0.25 else _fill(rng.choice(SUBJECTS[topic]), values)
    parts.append(problem[0].upper() + problem[1:])
    if rng.random() < 0.35:
        parts.append("Also, " + _fill(rng.choice(PROBLEMS[topic]), values))
    parts.append(_fill(rng.choice(DETAILS), values))
    parts.append(rng.choice(URGENCY))
    body = (
        "\n\n".join(p for p in parts if p) + f"\n\n{rng.choice(SIGNOFFS)}\n{ctx.get('person', '')}".rstrip()
    )
    resolution = _fill(rng.choice(RESOLUTIONS[topic]), values)
    return CaseText(subject=subject[:255], body=body, resolution=resolution)


def chaser(rng: random.Random) -> str:
    return _fill(rng.choice(CHASERS), _Values(rng, {}))


def reply(rng: random.Random) -> str:
    return rng.choice(REPLIES)
