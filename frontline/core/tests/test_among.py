"""`among`: a column being one of many ids, as one array parameter on PostgreSQL and an IN list elsewhere."""

import pytest
from django.db import connection

from frontline.core.db import among
from frontline.customers import services as customers
from frontline.customers.models import Customer, Membership


@pytest.mark.django_db
def test_among_finds_the_rows_whose_column_is_one_of_the_ids():
    # given three customers, each with a person
    made = [customers.create_customer(name=f"Shop {n}", customer_since="2020-01-01") for n in range(3)]
    people = [customers.add_person(customer, name=f"Owner {n}") for n, customer in enumerate(made)]
    # when the first and last are asked for, with an id no row has
    wanted = [made[0].pk, made[2].pk, 10**12]
    found = Customer.objects.filter(among("pk", wanted))
    # then exactly those two, by the primary key and by a foreign key alike
    assert sorted(found.values_list("pk", flat=True)) == [made[0].pk, made[2].pk]
    by_customer = Membership.objects.filter(among("customer_id", wanted)).values_list("person_id", flat=True)
    assert sorted(by_customer) == [people[0].pk, people[2].pk]
    # and on PostgreSQL the ids travel as one array, not one placeholder each
    if connection.vendor == "postgresql":
        assert "= ANY(" in str(found.query)
    # and no ids find nothing
    assert not Customer.objects.filter(among("pk", [])).exists()
