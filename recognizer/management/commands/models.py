from django.core.management.base import BaseCommand

from recognizer import selectors
from recognizer.management.tables import format_table, percent

HEADER = ("", "version", "arch", "MNIST", "created", "created by", "submissions")


class Command(BaseCommand):
    help = "List the model versions, newest first; * marks the active one."

    def handle(self, *args, **options):
        rows = [
            (
                "*" if model_version.is_active else "",
                model_version.version,
                model_version.arch,
                percent(model_version.mnist_test_accuracy),
                f"{model_version.created_at:%Y-%m-%d %H:%M}",
                model_version.created_by.username if model_version.created_by else "—",
                str(model_version.submission_count),
            )
            for model_version in selectors.model_version_list()
        ]
        for line in format_table([HEADER, *rows], right_align_from=len(HEADER) - 1):
            self.stdout.write(line)
