"""Matchers are checked at save; a component's trouble reaches what hangs off it, computed from the tree."""

import pytest

from frontline.core.errors import ServiceError
from frontline.customers import services as customers
from frontline.monitoring import services
from frontline.monitoring.models import Health, LooksUp


def test_a_matcher_that_cannot_match_anything_is_refused_with_the_reason(db, priya, blog):
    with pytest.raises(ServiceError, match="no unit has a label 'rack'"):
        services.save_matcher(label="rack", looks_up=LooksUp.UNIT_LABEL, by=priya)
    with pytest.raises(ServiceError, match="no components"):
        services.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, by=priya)
    with pytest.raises(ServiceError, match="not a label name"):
        services.save_matcher(label="1bad-name", looks_up=LooksUp.UNIT_NAME, by=priya)
    with pytest.raises(ServiceError, match="cannot mean OK"):
        services.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, health=Health.OK, by=priya)


def test_the_first_matcher_that_finds_something_decides(db, priya, blog, web07):
    from frontline.monitoring.matchers import resolve

    by_site = services.save_matcher(label="site", looks_up=LooksUp.UNIT_NAME, position=10, by=priya)
    by_instance = services.save_matcher(label="instance", looks_up=LooksUp.COMPONENT, position=20, by=priya)
    matchers = [by_site, by_instance]
    # a site alert names the site, not the whole server it runs on
    assert resolve({"site": "walkerblog.example", "instance": "web-07:9100"}, matchers)[:2] == (
        by_site,
        [blog],
    )
    # a node alert has no site: the server itself (the port an exporter adds is not part of the name)
    matcher, units, components = resolve({"instance": "web-07:9100"}, matchers)
    assert matcher == by_instance and units == [] and components == [web07]
    # an unknown site falls through to the server
    assert resolve({"site": "gone.example", "instance": "web-07"}, matchers)[0] == by_instance


def test_a_relay_reaches_exactly_the_mailboxes_relayed_through_it(relay_clients):
    relay = services.add_component(name="smtp-2", kind="relay", group="Mail")
    radius = services.of_components([relay])
    assert radius.customer_ids == sorted(c.pk for c in relay_clients[:3])


def test_a_switch_reaches_the_lines_behind_it_and_everything_under_them(db):
    import datetime

    core = services.add_component(name="core-1", kind="router", group="Network")
    switch = services.add_component(name="sw-3", kind="switch", group="Network", parent=core)
    castle = customers.create_customer(
        name="Castle", plan="fibre", customer_since=datetime.date(1996, 1, 1), monthly_value="300"
    )
    line = customers.add_unit(castle, kind="line", name="FTTP-1", labels={"switch": "sw-3"})
    port = customers.add_unit(castle, kind="port", name="port-12", parent=line)
    host = customers.add_unit(castle, kind="host", name="192.0.2.17", parent=port, ip_address="192.0.2.17")
    # when the router above the switch fails, the line, its port and its host are reached
    radius = services.of_components([core])
    assert {c.name for c in radius.components} == {"core-1", "sw-3"}
    assert radius.unit_ids == sorted([line.pk, port.pk, host.pk])
    assert radius.customer_ids == [castle.pk]
    assert switch in radius.components
