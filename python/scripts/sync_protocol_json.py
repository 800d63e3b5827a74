"""Copy packages/protocol/json/*.json into the Python package (the build step).

Run from anywhere: /usr/bin/python3 python/scripts/sync_protocol_json.py
The copy lets an installed `warren` work outside the monorepo; a test fails
when the copy and the source differ.
"""
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "packages" / "protocol" / "json"
TARGET = HERE.parent / "warren" / "protocol_json"
FILES = ("errors.json", "topology.json", "schemas.json")


def main() -> int:
    missing = [name for name in FILES if not (SOURCE / name).is_file()]
    if missing:
        print(f"missing in {SOURCE}: {', '.join(missing)}", file=sys.stderr)
        return 1
    TARGET.mkdir(exist_ok=True)
    for name in FILES:
        shutil.copyfile(SOURCE / name, TARGET / name)
        print(f"copied {name} -> {TARGET / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
