from django.apps import AppConfig


class RoomAppConfig(AppConfig):
    name = "frontline.tests.roomapp"
    label = "roomapp"
