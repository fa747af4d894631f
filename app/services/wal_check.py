"""Read SQLite's -wal and -shm files the way SQLite does, to say what a damaged one costs.

SQLite silently ignores a write-ahead log whose header is damaged, and stops replaying it
at the first frame whose checksum fails: committed changes after that point vanish without
an error. After an unclean stop we read the log ourselves (format: sqlite.org/fileformat2,
"The Write-Ahead Log") to tell the user exactly that, instead of carrying on silently.

A frame belongs to the current log when its salts equal the header's; its checksum chains
from the previous frame's. A commit frame has a non-zero "database size" field. With
`synchronous=FULL` each commit is fsynced before the next begins, so after a power cut
only the last transaction can be torn; a bad frame followed by two or more commit frames
of the current log means committed transactions were lost: the file was damaged.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24
WAL_MAGIC_LE = 0x377F0682
WAL_MAGIC_BE = 0x377F0683
WAL_VERSION = 3007000
SHM_HEADER = 48  # one copy of the wal-index header; two copies follow each other


def _checksum(data: bytes, s1: int, s2: int, big_endian: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    mask = 0xFFFFFFFF
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & mask
        s2 = (s2 + words[i + 1] + s1) & mask
    return s1, s2


@dataclass(frozen=True)
class WalState:
    size: int
    header_ok: bool
    frames: int  # whole frames the file has room for
    valid_frames: int  # frames SQLite will replay (up to the last valid commit)
    valid_commits: int
    commits_after_break: int  # commit frames of the current log after the first bad frame
    broken_at_frame: int | None  # 1-based index of the first bad frame of the current log

    @property
    def empty(self) -> bool:
        return self.size < WAL_HEADER

    @property
    def lost_commits(self) -> int:
        """Committed transactions SQLite will not replay (the torn last one is not counted)."""
        if self.empty:
            return 0
        if not self.header_ok:
            return self.frames  # unknown: every frame is ignored; report frames as an upper bound
        return max(0, self.commits_after_break - 1)

    @property
    def damaged(self) -> bool:
        if self.empty:
            return False
        return (not self.header_ok and self.frames > 0) or self.lost_commits > 0


def inspect_wal(path: Path) -> WalState:
    data = path.read_bytes()
    size = len(data)
    if size < WAL_HEADER:
        return WalState(size, True, 0, 0, 0, 0, None)
    magic, version, page_size, _seq, salt1, salt2, ck1, ck2 = struct.unpack(">8I", data[:WAL_HEADER])
    if page_size == 1:
        page_size = 65536
    plausible_page = 512 <= page_size <= 65536 and page_size & (page_size - 1) == 0
    frame_size = FRAME_HEADER + (page_size if plausible_page else 4096)
    frames = (size - WAL_HEADER) // frame_size
    big = magic == WAL_MAGIC_BE
    header_ok = magic in (WAL_MAGIC_LE, WAL_MAGIC_BE) and version == WAL_VERSION and plausible_page
    if header_ok:
        header_ok = _checksum(data[:24], 0, 0, big) == (ck1, ck2)
    if not header_ok:
        return WalState(size, False, frames, 0, 0, 0, None)

    s1, s2 = ck1, ck2
    valid_frames = valid_commits = 0
    broken_at: int | None = None
    commits_after = 0
    for i in range(frames):
        start = WAL_HEADER + i * frame_size
        pgno, commit_size, f_salt1, f_salt2, f_ck1, f_ck2 = struct.unpack(
            ">6I", data[start : start + FRAME_HEADER]
        )
        current = (f_salt1, f_salt2) == (salt1, salt2)
        if broken_at is not None:
            if current and commit_size:
                commits_after += 1
            continue
        if not current:
            break  # an older log's frames: the current log ends here, cleanly
        n1, n2 = _checksum(data[start : start + 8], s1, s2, big)
        n1, n2 = _checksum(data[start + FRAME_HEADER : start + frame_size], n1, n2, big)
        if pgno == 0 or (n1, n2) != (f_ck1, f_ck2):
            broken_at = i + 1
            if commit_size:
                commits_after += 1
            continue
        s1, s2 = n1, n2
        if commit_size:
            valid_commits += 1
            valid_frames = i + 1
    return WalState(size, True, frames, valid_frames, valid_commits, commits_after, broken_at)


def shm_header_ok(path: Path) -> bool:
    """True if the -shm file's wal-index header is intact (two equal copies, checksum right).

    A missing, empty or uninitialised -shm is fine: SQLite rebuilds it from the -wal.
    """
    data = path.read_bytes()[: 2 * SHM_HEADER]
    if len(data) < 2 * SHM_HEADER or not any(data):
        return True
    first, second = data[:SHM_HEADER], data[SHM_HEADER:]
    if first != second:
        return False
    # The wal-index is in the machine's byte order; try both, a damaged header matches neither.
    for big in (False, True):
        fmt = ">" if big else "<"
        (version,) = struct.unpack(f"{fmt}I", first[:4])
        if version != WAL_VERSION:
            continue
        ck = struct.unpack(f"{fmt}2I", first[40:48])
        return _checksum(first[:40], 0, 0, big) == ck
    return False
