"""``python -m govgraph.ide install|status``: install GraphiQL's assets by hand, or say whether they are there."""

from __future__ import annotations

import sys

from govgraph.ide import assets


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "install":
        try:
            where = assets.install()
        except assets.InstallError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"GraphiQL's assets installed in {where}: {assets.versions()}")
        return 0
    if command == "status":
        absent = assets.missing()
        if absent:
            print(f"missing in {assets.VENDOR}: {', '.join(absent)} (run: python -m govgraph.ide install)")
            return 1
        state = "up to date" if assets.up_to_date() else "installed from another package-lock.json"
        print(f"GraphiQL's assets in {assets.VENDOR}: {assets.versions()}, {state}")
        return 0
    print("usage: python -m govgraph.ide [install|status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
