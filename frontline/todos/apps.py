from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "frontline.todos"
    label = "todos"

    def ready(self) -> None:
        # Connects the to-dos to the customers app's signals; models must be loaded first.
        from frontline.todos import receivers  # noqa: F401
