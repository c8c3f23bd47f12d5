"""``python -m adaopt``: a demo of the optimizer on a built-in problem.

``python -m adaopt`` with no arguments runs the demo; ``python -m adaopt
--help`` lists the sub-commands.
"""

import argparse
import sys


def demo(argv=()):
    """Minimize the Rosenbrock function with adaopt.minimize, showing progress."""
    from . import demo as _demo
    return _demo.main(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m adaopt",
        description="adaopt: Numba-compiled RMSprop. With no command, runs the demo.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="run the demo (the default)")
    # its own options (and --help) are parsed by adaopt.bench.main
    sub.add_parser("bench", add_help=False,
                   help="time steps against a roofline probe, NumPy, torch/optax")
    args, rest = parser.parse_known_args(argv)
    if args.command in (None, "demo"):
        return demo(rest)
    if args.command == "bench":
        from . import bench
        return bench.main(rest)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
