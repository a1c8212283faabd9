"""The database connection as a deployment opens it: on PostgreSQL, a statement run again on a connection
is parsed and planned once, prepared at the server; behind a pooler that cannot keep that, a switch turns
it off."""

import os
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's prepared statements: the PostgreSQL stages of .ci/run",
)

# Run by a process of its own, configured by the environment alone: the same statement three times, then
# what this session holds prepared.
PROBE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    for n in (1, 2, 3):
        cursor.execute("SELECT %s::int + 1", [n])
    cursor.execute("SELECT statement FROM pg_prepared_statements")
    print([row[0] for row in cursor.fetchall()])
"""


@pytest.mark.subprocess
@pytest.mark.parametrize(("switch", "prepared"), [("true", True), ("false", False)])
def test_a_statement_run_again_is_prepared_at_the_server_unless_switched_off(switch, prepared):
    # given a process configured as deployed, FRONTLINE_DB_PREPARED on (the default) or off
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "frontline.settings", "FRONTLINE_DB_PREPARED": switch}
    # when it runs one statement three times on its connection
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # then the server holds it prepared, its value bound as a parameter, or holds nothing when switched off
    statements = out.stdout.strip().splitlines()[-1]
    assert ("SELECT $1::int + 1" in statements) is prepared, statements
