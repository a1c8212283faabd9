from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "frontline.todos"
    label = "todos"
