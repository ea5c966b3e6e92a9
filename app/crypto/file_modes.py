"""Files the server writes are for its own user only: 0600 files in 0700 folders.

The data folder holds the database (SQLite), the secret key file, index files and model
artefacts; with the usual umask of 022 each of them was readable by every local user. A
process-wide umask of 077 set by the composition roots covers files written by libraries
too (Annoy's index files, NumPy's archives, SQLite's ``-wal`` and ``-shm``);
``private_folder`` and ``private_file`` fix what existed before."""

import contextlib
import os
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def keep_new_files_private() -> None:
    """From now on every file and folder this process makes is its user's only."""
    os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (made if missing, tightened if not)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    with contextlib.suppress(PermissionError):  # a folder of another user: left as it is
        path.chmod(PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> None:
    """Tighten an existing file to 0600 (a missing one is nothing to do)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        path.chmod(PRIVATE_FILE)


def create_private_file(path: Path) -> None:
    """Make an empty 0600 file unless it exists (then only tighten it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        private_file(path)
