"""``python -m ml train | train-judge | evaluate | predict | export``: the engine from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _train(args) -> int:
    from ml.artifacts import new_version_id
    from ml.train import save_trained, train

    result = train(
        arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        limit=args.limit, progress=not args.quiet, data_path=args.data,
    )
    version = args.version or new_version_id(args.arch)
    out = Path(args.out) / version if args.out else Path("ml/artifacts") / version
    artifact = save_trained(result, out, version)
    print(f"saved {artifact.path}: MNIST test accuracy {artifact.metadata['mnist_test_accuracy']:.2%} "
          f"after {result.seconds:.0f} s of training")
    return 0


def _train_judge(args) -> int:
    from ml.artifacts import new_version_id
    from ml.judge_training import save_judge, train_judge

    result = train_judge(
        numbers=args.numbers, held_out=args.held_out, epochs=args.epochs, seed=args.seed, data_path=args.data, progress=not args.quiet
    )
    version = args.version or new_version_id("judge")
    out = Path(args.out or "ml/artifacts") / version
    artifact = save_judge(result, out, version)
    print(f"saved {artifact.path}: {artifact.metadata['held_out_accuracy']:.2%} right on "
          f"{artifact.metadata['held_out_pieces']} held-out pieces after {result.seconds:.0f} s")
    return 0


def _evaluate(args) -> int:
    from ml.evaluate import evaluate_on_mnist
    from ml.predictor import Predictor

    predictor = Predictor.load(args.model)
    scores = evaluate_on_mnist(predictor, args.data)
    if args.json:
        print(json.dumps({**scores.as_dict(), "model_version": predictor.version}))
    else:
        print(f"model {predictor.version}: accuracy {scores.accuracy:.2%} on {scores.n} images")
        for digit, accuracy in enumerate(scores.per_class):
            print(f"  {digit}: {accuracy:.2%}")
    return 0


def _predict(args) -> int:
    from ml.files import predict_files, predict_number_files
    from ml.predictor import Predictor

    failures = 0
    recognize = predict_number_files if args.number else predict_files
    for result in recognize(Predictor.load(args.model), args.paths):
        failures += result.error is not None
        print(result.as_json() if args.json else result.as_text(), flush=True)
    if failures:
        print(f"{failures} image(s) could not be recognized", file=sys.stderr)
    return 1 if failures else 0


def _export(args) -> int:
    import keras

    from ml.artifacts import export_tflite

    out = Path(args.out) if args.out else Path(args.keras_file).with_suffix(".tflite")
    out.write_bytes(export_tflite(keras.models.load_model(args.keras_file)))
    print(f"wrote {out}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train_cmd = commands.add_parser("train", help="train a model and save its artifact folder")
    train_cmd.add_argument("--arch", default="cnn", choices=["cnn", "mlp"])
    train_cmd.add_argument("--epochs", type=int, default=None)
    train_cmd.add_argument("--batch-size", type=int, default=None)
    train_cmd.add_argument("--seed", type=int, default=0)
    train_cmd.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    train_cmd.add_argument("--data", help="a Keras-layout mnist.npz (default: $DIGITS_MNIST_PATH)")
    train_cmd.add_argument("--out", help="parent folder for the new version (default: ml/artifacts)")
    train_cmd.add_argument("--version", help="the version id (default: time and architecture)")
    train_cmd.add_argument("--quiet", action="store_true", help="no progress output")
    train_cmd.set_defaults(run=_train)

    judge_cmd = commands.add_parser(
        "train-judge", help="train the one-digit judge that helps cut touching digits (ml.judge)"
    )
    judge_cmd.add_argument("--numbers", type=int, default=16_000, help="numbers composed for training pieces")
    judge_cmd.add_argument("--held-out", type=int, default=1_500, help="numbers of MNIST test digits for checking")
    judge_cmd.add_argument("--epochs", type=int, default=6)
    judge_cmd.add_argument("--seed", type=int, default=0)
    judge_cmd.add_argument("--data", help="a Keras-layout mnist.npz (default: $DIGITS_MNIST_PATH)")
    judge_cmd.add_argument("--out", help="parent folder for the new version (default: ml/artifacts)")
    judge_cmd.add_argument("--version", help="the version id (default: time and 'judge')")
    judge_cmd.add_argument("--quiet", action="store_true", help="no progress output")
    judge_cmd.set_defaults(run=_train_judge)

    evaluate_cmd = commands.add_parser("evaluate", help="accuracy on the MNIST test set")
    evaluate_cmd.add_argument("--model", help="a model folder (default: the bundled model)")
    evaluate_cmd.add_argument("--data", help="a Keras-layout mnist.npz (default: $DIGITS_MNIST_PATH)")
    evaluate_cmd.add_argument("--json", action="store_true")
    evaluate_cmd.set_defaults(run=_evaluate)

    predict_cmd = commands.add_parser("predict", help="recognize image files or folders of them")
    predict_cmd.add_argument("--model", help="a model folder (default: the bundled model)")
    predict_cmd.add_argument("--json", action="store_true", help="one JSON object per line")
    predict_cmd.add_argument("--number", action="store_true", help="read each image as a whole number of several digits")
    predict_cmd.add_argument("paths", nargs="+")
    predict_cmd.set_defaults(run=_predict)

    export_cmd = commands.add_parser("export", help="re-export LiteRT from a .keras file")
    export_cmd.add_argument("keras_file")
    export_cmd.add_argument("--out", help="the .tflite path (default: beside the .keras file)")
    export_cmd.set_defaults(run=_export)

    args = parser.parse_args(argv)
    if args.command == "train":
        from ml.train import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS

        args.epochs = args.epochs or DEFAULT_EPOCHS
        args.batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    from ml.artifacts import ArtifactError
    from ml.data import MnistDataError

    try:
        return args.run(args)
    except (ArtifactError, MnistDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
