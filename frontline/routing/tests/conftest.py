# Fixtures that other apps' tests share too: pytest finds them in a conftest.
from frontline.routing.tests.helpers import history, northwind_tom, trained  # noqa: F401
