from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "oegd.directory"
    label = "directory"
