import signal
import threading
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recognizer import lifecycle
from recognizer.management.tables import DATA_HELP, format_table, percent


INTERRUPTED = "Interrupted: nothing was registered and the active model is unchanged."


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Train a new model version into DIGITS_MODELS_DIR, register it, and activate it "
        "unless it scores worse on MNIST test than the active one (then --force). Only one "
        "retrain runs at a time; an interrupted one leaves the active model untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--arch", choices=["cnn", "mlp"], default="cnn")
        parser.add_argument("--epochs", type=positive_int, help="default: the recipe's 15")
        parser.add_argument("--batch-size", type=positive_int, help="default: 128")
        parser.add_argument("--limit", type=positive_int, help="train on the first N MNIST images only")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--data", help=DATA_HELP)
        parser.add_argument(
            "--include-feedback", action="store_true",
            help="also train on users' corrected drawings, and score both models on a held-out slice of them",
        )
        parser.add_argument("--no-activate", action="store_true", help="register the new version only")
        parser.add_argument("--force", action="store_true", help="activate even if it scores lower")
        parser.add_argument("--notes", default="", help="why this version was made")
        parser.add_argument("--created-by", metavar="USERNAME", help="the user to record as its author")

    def handle(self, *args, **options):
        from ml.data import MnistDataError

        retrain_options = {
            "arch": options["arch"],
            "epochs": options["epochs"],
            "batch_size": options["batch_size"],
            "limit": options["limit"],
            "seed": options["seed"],
            "data_path": options["data"],
            "include_feedback": options["include_feedback"],
            "activate": not options["no_activate"],
            "force": options["force"],
            "notes": options["notes"],
            "created_by": self._user(options["created_by"]),
            "progress": options["verbosity"] > 0,
        }
        try:
            with stopped_by_sigterm():
                report = lifecycle.retrain(**retrain_options)
        except (lifecycle.RetrainBusy, MnistDataError) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise CommandError(INTERRUPTED) from exc
        for folder in report.removed_leftovers:
            self.stdout.write(f"Removed {folder}, left by an interrupted retrain.")
        for line in summary(report):
            self.stdout.write(line)
        if report.activated:
            self.stdout.write(self.style.SUCCESS(f"Activated: {report.model_version.version} now serves."))
        elif report.refusal:
            self.stdout.write(self.style.WARNING(f"Not activated: {report.refusal}"))
        else:
            version = report.model_version.version
            self.stdout.write(f"Not activated (--no-activate); to serve it: `manage.py activate {version}`.")

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc


@contextmanager
def stopped_by_sigterm():
    """`kill` cleans up the way Ctrl-C does (staging folder removed, lock released)
    instead of ending the process where it stands."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def summary(report: lifecycle.RetrainReport) -> list[str]:
    """The old (active) and the new version side by side."""
    old = report.previous.metrics if report.previous else {}
    new = report.model_version.metrics
    old_name = f"active {report.previous.version}" if report.previous else "active (none)"
    rows = [("", old_name, f"new {report.model_version.version}")]
    accuracy = "mnist_test_accuracy"
    rows.append(("MNIST test accuracy", percent(old.get(accuracy)), percent(new.get(accuracy))))
    old_classes, new_classes = old.get("per_class_accuracy") or [], new.get("per_class_accuracy") or []
    for digit in range(10):
        rows.append((
            f"  digit {digit}",
            percent(old_classes[digit] if digit < len(old_classes) else None),
            percent(new_classes[digit] if digit < len(new_classes) else None),
        ))
    feedback = new.get("feedback")
    if feedback is not None:
        label = f"Held-out corrections (n={feedback['n_holdout']})"
        rows.append((label, percent(feedback["accuracy_before"]), percent(feedback["accuracy_after"])))
        rows.append(("Corrections trained on", "", str(feedback["n_train"])))
    rows.append(
        ("Training time", _seconds(old.get("training_seconds")), _seconds(new.get("training_seconds")))
    )
    return format_table(rows)


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.1f} s"
