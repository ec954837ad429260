"""Downloading safely: into a scratch folder, with a time limit, cleaned up afterwards.

torchvision downloads into the folder it is given. Pointing it at a scratch folder
inside ``root`` (same disk, so the final move is atomic) means a failed or partial
download never leaves half-written files where torchvision will look for them.

torchvision's own downloader waits forever on a stalled connection, and the only way to
give it a time limit would be the process-wide socket timeout, which would change every
other connection of the learner's program too. So `fetch` downloads the files first,
with a time limit of its own; torchvision then finds them in place (it checks their MD5)
and only unpacks them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 20


@contextmanager
def scratch_folder(root: Path, prefix: str):
    """Yield an empty folder inside ``root``; it is removed afterwards, whatever happens."""
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def progress_bar(total: int | None, label: str):
    """A bar of bytes received: in a notebook or a terminal (tqdm.auto), none when
    LABKIT_QUIET=1. It writes to stderr, never into outputs that tests compare."""
    from labkit import settings

    if settings.quiet():
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                disable=settings.quiet(), leave=False)


def fetch(url: str, target: Path, *, md5: str | None = None,
          timeout: float = DOWNLOAD_TIMEOUT_S, label: str | None = None) -> None:
    """Download ``url`` into the file ``target``, waiting at most ``timeout`` seconds for
    each network step (a limit of this request only), and check its MD5 when given. A
    progress bar named ``label`` (the file's name by default) shows the bytes received."""
    target.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": "labkit"})
    digest = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
        size = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        total = int(size) if size and size.isdigit() else None
        with progress_bar(total, label or target.name) as bar:
            while chunk := response.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
    if md5 is not None and digest.hexdigest() != md5:
        raise OSError(f"{url} arrived damaged (its MD5 does not match)")


def fetch_first(urls: list[str], target: Path, *, md5: str | None = None,
                label: str | None = None) -> None:
    """`fetch` from the first of ``urls`` that works (mirrors); raise the last error."""
    error: OSError = OSError("no address to download from")
    for url in urls:
        try:
            fetch(url, target, md5=md5, label=label)
            return
        except OSError as err:  # URLError, a timeout, a damaged file: try the next mirror
            error = err
    raise error


def failure_reason(err: BaseException) -> str:
    """The most telling line of a download error, kept short."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1][:160] if lines else type(err).__name__
