"""Rooms for what comes next: the apps depend on each other in one direction, every door's paths resolve,
and a new app joins through the doors without editing any other app (the room app under tests/roomapp)."""

import ast
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.test import modify_settings, override_settings
from django.utils.module_loading import import_string

from frontline.cases import services as cases
from frontline.core.doors import DOORS
from frontline.events.models import EVENT_KINDS, Event
from frontline.intake import services as intake
from frontline.todos.models import ToDo

PACKAGE = Path(__file__).resolve().parents[1]

# The domain apps from the bottom up: an app's domain modules (models, services, events, tasks, queries...)
# may import only apps before it. Pages and API (views, api, urls, admin, templatetags, commands, receivers,
# apps) sit on top and may import any domain module, but no domain module imports them.
LAYERS = [
    "core",
    "events",
    "scheduling",
    "agents",
    "web",
    "customers",
    "todos",
    "delivery",
    "cases",
    "saved_replies",
    "routing",
    "notifications",
    "intake",
    "policy",
    "monitoring",
    "incidents",
    "correlation",
    "portal",
    "webhooks",
    "measures",
    "operations",
]
PRESENTATION = {
    "views",
    "api",
    "urls",
    "admin",
    "templatetags",
    "management",
    "receivers",
    "apps",
    "inbox",
    "inbox_rows",
}
OUTSIDE = {"demo", "tests"}  # the demo loads data through every app; tests test them


def _modules():
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if "migrations" in parts or "tests" in parts or len(parts) < 2 or parts[0] in OUTSIDE:
            continue
        yield parts, ast.parse(path.read_text())


def _imported_apps(tree) -> set[tuple[str, str]]:
    """(app, module within it) of every frontline import, at any depth."""
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("frontline."):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("frontline.")]
        for name in names:
            parts = name.split(".")
            found.add((parts[1], parts[2] if len(parts) > 2 else ""))
    return found


def test_domain_modules_import_only_apps_below_them_and_no_page():
    wrong = []
    for parts, tree in _modules():
        app, module = parts[0], parts[1]
        if app not in LAYERS or module in PRESENTATION:
            continue
        for target, target_module in _imported_apps(tree):
            if target == app:
                continue
            if target not in LAYERS or LAYERS.index(target) > LAYERS.index(app):
                wrong.append(f"{'.'.join(parts)} imports {target}.{target_module}: not below {app}")
            elif target_module in PRESENTATION:
                wrong.append(f"{'.'.join(parts)} imports {target}.{target_module}, a page or API module")
    assert wrong == []


def test_every_app_has_a_place_in_the_layers():
    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - OUTSIDE
    assert apps <= set(LAYERS)


@pytest.mark.parametrize("door", DOORS)
def test_every_path_behind_a_door_resolves_to_a_callable(door):
    paths = getattr(settings, door)
    assert paths, f"{door} is empty"
    for path in paths:
        assert callable(import_string(path)), path


def test_every_task_enqueued_by_path_resolves():
    """Services name their own tasks by dotted path (scheduling.later): a typo would fail only at run time."""
    paths = []
    for parts, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "later" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    paths.append(first.value)
                elif isinstance(first, ast.Name):  # a constant of the calling module naming the path
                    paths.append(getattr(import_module(".".join(("frontline", *parts))), first.id))
    resolved = [import_string(path) for path in paths]
    assert len(resolved) >= 4
    assert all(hasattr(task, "enqueue") for task in resolved)


ROOM_APP = "frontline.tests.roomapp"


@pytest.fixture
def room_app():
    """The room app, installed the way any new app is: settings only (INSTALLED_APPS and the doors)."""
    interpreters = list(settings.FRONTLINE_MAIL_INTERPRETERS)
    interpreters.insert(-1, f"{ROOM_APP}.interpreters.flag")  # before a person writing, which always answers
    with (
        modify_settings(INSTALLED_APPS={"append": ROOM_APP}),
        override_settings(
            FRONTLINE_MAIL_INTERPRETERS=interpreters,
            FRONTLINE_CASE_PANELS=[*settings.FRONTLINE_CASE_PANELS, f"{ROOM_APP}.panels.flags"],
        ),
    ):
        yield


def test_the_room_app_lives_in_its_own_folder_and_needs_no_migration():
    folder = PACKAGE / "tests" / "roomapp"
    assert not (folder / "migrations").exists()
    assert {p.name for p in folder.glob("*.py")} == {
        "__init__.py",
        "apps.py",
        "events.py",
        "interpreters.py",
        "panels.py",
    }


@pytest.mark.django_db
def test_a_new_app_contributes_an_interpreter_an_event_a_todo_a_panel_and_a_timeline_entry(
    room_app, sam, sam_person, signed_in
):
    # given an open case of Sam's
    case = cases.open_case(
        customer=sam, subject="Site slow", body="It is slow.", channel="email", requester=sam_person
    )
    messages_before = case.messages.count()
    # when a mail flags it
    raw = (
        f"From: ops@walkerblog.example\r\nTo: support@frontline.invalid\r\nMessage-ID: <flag-1@example>\r\n"
        f"Subject: [flag] {case.ref} looks like the relay again\r\n\r\nsee subject\r\n"
    ).encode()
    row = intake.receive(raw, source="smtp")
    # then the room app's interpreter read it: no message on the case, an event and a to-do of its kinds
    assert row.status == "ignored" and row.reason == f"a flag on {case.ref}: a to-do raised"
    assert case.messages.count() == messages_before
    flag = Event.objects.get(case=case, kind="roomapp.flagged")
    assert flag.label == "Flagged by mail" and flag.data == {
        "by": "ops@walkerblog.example",
        "reason": "looks like the relay again",
    }
    todo = ToDo.objects.get(case=case)
    assert todo.kind == "roomapp_check" and todo.kind_label == "Check a flagged case"
    # and the case page shows its panel and its timeline entry
    page = signed_in.get(f"/cases/{case.ref}/").content.decode()
    assert 'id="flags"' in page and "Flagged 1 time by mail." in page
    assert "Flag from ops@walkerblog.example: “looks like the relay again”" in page


def test_a_kind_nobody_declared_is_refused_when_written(db):
    from frontline.events.services import record

    with pytest.raises(ValueError, match=r"unknown event kind 'nobody\.declared'"):
        record("nobody.declared")
    with pytest.raises(ValueError, match="already declared"):
        EVENT_KINDS.declare("case.opened", "Something else")
