from django.core.management.base import BaseCommand, CommandError

from recognizer import serving


class Command(BaseCommand):
    help = (
        "Recognize the digit in image files (folders are searched for images), or with "
        "--number the whole number in each. Prints one line per image; stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
        parser.add_argument("--json", dest="as_json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--number", action="store_true", help="read each image as a number: its digits, left to right"
        )

    def handle(self, *args, paths, as_json=False, number=False, **options):
        failures = 0
        try:
            results = serving.predict_files(paths, number=number)
            for result in results:
                failures += result.error is not None
                self.stdout.write(result.as_json() if as_json else result.as_text())
        except serving.ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if failures:
            raise CommandError(f"{failures} image(s) could not be recognized.")
