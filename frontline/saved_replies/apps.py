from django.apps import AppConfig


class SavedRepliesConfig(AppConfig):
    name = "frontline.saved_replies"
    label = "saved_replies"
    verbose_name = "Saved replies"
