from pathlib import Path

from django.core.management.base import BaseCommand

from standard.services import TEMPLATE, standard_load


class Command(BaseCommand):
    help = "Load (or update by code) the hygienic-city standard template and its site types."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(TEMPLATE))

    def handle(self, *args, path, **options):
        standard = standard_load(Path(path))
        self.stdout.write(f"{standard.name}: {standard.criteria.count()} 条目")
