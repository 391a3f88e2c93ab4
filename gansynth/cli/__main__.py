"""``python -m gansynth.cli``: the same as the ``gansynth`` console script."""

from gansynth.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
