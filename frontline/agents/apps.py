from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "frontline.agents"
    label = "agents"
