from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "oegd.messaging"
    label = "messaging"
