"""An edit's floor: what an incremental build changed on disk → the least time it can take.

The output contract fixes which bytes an edit changes: catalogs whose entries moved,
reports that name catalog lines, the published tree. ``changed`` lists the files an
incremental build left with other bytes; ``python -m bench.floor ROOT WORK LIST`` (a
process of its own, like the build) then times what no implementation of that build
can skip: starting Python and importing the pipeline, writing those bytes again with
``write_files_atomic`` (temp files, one disk flush, renames), and hard-linking every
file of the live site into a new tree. No parsing, no checking, no rendering: the
figure is a lower bound, not an estimate.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.proc import run_timed

REPO = Path(__file__).resolve().parent.parent


def snapshot(root: Path) -> dict[str, str]:
    """``locales/`` and ``output/`` (not the cache, not the published trees): relative
    path → blake2b of the bytes."""
    out: dict[str, str] = {}
    for top in ("locales", "output"):
        for folder, dirs, files in os.walk(root / top):
            rel_folder = Path(folder).relative_to(root).as_posix()
            # The cache is the build's own state, the site-* trees are counted as links.
            dirs[:] = [d for d in dirs if not (rel_folder == "output"
                                               and (d == ".cache" or d.startswith("site")))]
            for name in files:
                path = Path(folder) / name
                out[f"{rel_folder}/{name}"] = hashlib.blake2b(path.read_bytes()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files with other bytes after than before, new files included."""
    return sorted(rel for rel, digest in after.items() if before.get(rel) != digest)


def measure(root: Path, files: list[str], work: Path, cap: float) -> dict[str, Any]:
    """Time the floor of an edit that changed ``files`` (relative to ``root``) in a child
    process; its JSON report, with the child's wall time."""
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "floor-files.txt"
    listing.write_text("\n".join(files) + "\n", encoding="utf-8")
    run = run_timed([sys.executable, "-m", "bench.floor", str(root), str(work / "floor"),
                     str(listing)], cwd=REPO, cap=cap)
    if not run.ok:
        return {"failed": run.output.strip()[-300:]}
    report: dict[str, Any] = json.loads(run.output.strip().splitlines()[-1])
    report["process_seconds"] = round(run.seconds, 3)
    # Where they are, folder by folder (the list itself is a thousand paths).
    report["changed"] = dict(sorted(Counter(rel.rsplit("/", 1)[0] for rel in files).items()))
    return report


def main() -> None:
    started = time.perf_counter()
    root, target, listing = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    # What every build imports before its first stage.
    import pipeline.build  # noqa: F401
    from pipeline.infra.fsutil import write_files_atomic

    imported = time.perf_counter()
    rels = [line for line in listing.read_text(encoding="utf-8").splitlines() if line]
    data = [(target / rel, (root / rel).read_bytes(), rel) for rel in rels]
    read = time.perf_counter()
    write_files_atomic(data)
    written = time.perf_counter()
    site = (root / "output" / "site").resolve()
    links = 0
    for folder, _, names in os.walk(site):
        out = target / "site" / Path(folder).relative_to(site)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.link(Path(folder) / name, out / name)
            links += 1
    linked = time.perf_counter()
    print(json.dumps({
        "files": len(rels), "megabytes": round(sum(len(d) for _, d, _ in data) / 1e6, 1),
        "links": links,
        "import_seconds": round(imported - started, 3),
        "read_seconds": round(read - imported, 3),
        "write_seconds": round(written - read, 3),
        "link_seconds": round(linked - written, 3),
        # Reading the bytes back is the bench's doing, not the floor's.
        "seconds": round(linked - started - (read - imported), 3),
    }))


if __name__ == "__main__":
    main()
