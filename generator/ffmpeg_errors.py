"""How an ffmpeg run that wrote a file is judged: one place for the video encode, the soundtrack and the voice's
loudness passes.

ffmpeg 5.1 can exit 0 after it failed to finish its file ("Error writing trailer", "Error closing file": a full disk
while the index is written), so those count as failures too, and a full disk is said as one (OSError ENOSPC,
which generator/pipeline/failures.py turns into "the disk is full"), whatever the exit status.
"""

from __future__ import annotations

import errno


def check_ffmpeg(code: int, stderr: str, what: str, error: type[Exception] = RuntimeError) -> None:
    """Raise ERROR (or OSError ENOSPC) when the ffmpeg run that tried to WHAT failed."""
    if "No space left on device" in stderr:  # ffmpeg may say it before a long log (the loudness meter's)
        raise OSError(errno.ENOSPC, f"No space left on device (ffmpeg, trying to {what})")
    if code != 0 or "Error writing trailer" in stderr or "Error closing file" in stderr:
        message = stderr.strip()[-2000:]
        raise error(f"ffmpeg failed to {what} (exit {code}): {message or 'no message'}")
