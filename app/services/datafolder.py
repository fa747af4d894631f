"""Is the data folder a safe place for SQLite? One running instance, local disk, room to write.

- One instance per data folder: an OS file lock (flock / msvcrt), released by the kernel
  when the process dies, even by kill -9 or a power cut, so a stale lock cannot block the
  next start. The GUI holds it for its lifetime; `restore` and `doctor --repair` refuse to
  touch a folder whose lock is held.
- Network and cloud-synced folders: SQLite's locking is unreliable over SMB/NFS, and sync
  clients (OneDrive, Google Drive, Dropbox) copy a database file half-written or restore an
  old copy over it. Detected on Windows with GetDriveTypeW / GetVolumeInformationW /
  GetFileAttributesW (ctypes), on Linux from /proc/self/mountinfo, and everywhere from the
  folder names the sync clients use.
- Free space is checked before writing (a backup, a restore), not after a failed write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import TracebackType
from typing import IO

from app.errors import UserFacingError

log = logging.getLogger(__name__)

LOCK_FILE = "hocba.lock"
# Below this the app warns at start; a school PC's disk also holds Windows updates.
LOW_SPACE_BYTES = 500 * 1024 * 1024
# Room to leave on the disk after writing anything big.
SPACE_MARGIN_BYTES = 50 * 1024 * 1024

KIND_LOCAL = "local"
KIND_NETWORK = "network"
KIND_CLOUD = "cloud"

# Linux file systems that live on another machine (mountinfo's fstype field).
NETWORK_FS_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "ceph",
        "glusterfs",
        "9p",
        "fuse.sshfs",
        "davfs",
        "fuse.davfs2",
        "fuse.gvfsd-fuse",
        "lustre",
        "beegfs",
    }
)
CLOUD_FS_TYPES = frozenset(
    {"fuse.rclone", "fuse.onedriver", "fuse.google-drive-ocamlfuse", "fuse.dropbox", "fuse.insync"}
)
# Folder names the sync clients create (compared case-insensitively, whole path components).
CLOUD_FOLDER_NAMES = frozenset(
    {
        "onedrive",
        "google drive",
        "googledrive",
        "my drive",
        "drive của tôi",
        "dropbox",
        "icloud drive",
        "iclouddrive",
        "mobile documents",
        "pcloud drive",
        "yandex.disk",
        "megasync",
    }
)
CLOUD_FOLDER_PREFIXES = ("onedrive - ", "dropbox (")
CLOUD_VOLUME_LABELS = ("google drive", "onedrive", "dropbox", "pcloud")

# Windows constants (winbase.h / winnt.h).
DRIVE_REMOTE = 4
FILE_ATTRIBUTE_PINNED = 0x00080000
FILE_ATTRIBUTE_UNPINNED = 0x00100000
FILE_ATTRIBUTE_RECALL_ON_OPEN = 0x00040000
FILE_ATTRIBUTE_RECALL_ON_DATA_ACCESS = 0x00400000
INVALID_FILE_ATTRIBUTES = 0xFFFFFFFF
CLOUD_ATTRIBUTES = (
    FILE_ATTRIBUTE_PINNED
    | FILE_ATTRIBUTE_UNPINNED
    | FILE_ATTRIBUTE_RECALL_ON_OPEN
    | FILE_ATTRIBUTE_RECALL_ON_DATA_ACCESS
)


class InstanceRunning(UserFacingError):
    """Another Học bạ số already uses this data folder."""


class NotEnoughSpace(UserFacingError):
    """The disk has too little room for what is about to be written."""


# --------------------------------------------------------------------------- single instance


class InstanceLock:
    """An exclusive, non-blocking OS lock on `<folder>/hocba.lock`.

    Use `InstanceLock.acquire(folder)` (raises InstanceRunning) or `try_acquire` (None if held).
    """

    def __init__(self, folder: Path, handle: IO[bytes]) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE
        self._handle: IO[bytes] | None = handle

    @classmethod
    def try_acquire(cls, folder: Path) -> InstanceLock | None:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK_FILE).open("a+b")
        try:
            _lock_file(handle)
        except OSError:
            handle.close()
            return None
        # Who holds it, for a person looking at the folder (the lock itself is the OS's).
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        return cls(folder, handle)

    @classmethod
    def acquire(cls, folder: Path) -> InstanceLock:
        lock = cls.try_acquire(folder)
        if lock is None:
            raise InstanceRunning(
                "Học bạ số đang mở và dùng thư mục dữ liệu này. Hãy đóng Học bạ số "
                f"rồi chạy lại lệnh.\n\nThư mục: {folder}"
            )
        return lock

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            _unlock_file(self._handle)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.release()


def is_in_use(folder: Path) -> bool:
    """True if a running app holds the data folder's lock."""
    if not (folder / LOCK_FILE).exists():
        return False
    lock = InstanceLock.try_acquire(folder)
    if lock is None:
        return True
    lock.release()
    return False


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_file(handle: IO[bytes]) -> None:
        handle.seek(0)
        # One byte far past any content, so writing the pid is not blocked by our own lock.
        os.lseek(handle.fileno(), 1 << 30, os.SEEK_SET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: IO[bytes]) -> None:
        os.lseek(handle.fileno(), 1 << 30, os.SEEK_SET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- where the folder is


@dataclass(frozen=True)
class FolderCheck:
    folder: Path
    kind: str  # KIND_LOCAL, KIND_NETWORK or KIND_CLOUD
    reason: str | None  # how we know (a file system type, a folder name, a drive type)
    free_bytes: int | None
    low_space: bool

    @property
    def messages(self) -> tuple[str, ...]:
        """What to tell the user, in Vietnamese; empty when all is well."""
        out: list[str] = []
        if self.kind == KIND_NETWORK:
            out.append(
                "Thư mục dữ liệu đang nằm trên ổ mạng. Cơ sở dữ liệu trên ổ mạng có thể hỏng khi "
                "mạng chập chờn. Hãy để dữ liệu trên ổ đĩa của chính máy này (cán bộ quản trị "
                f"có thể chuyển giúp).\n\nThư mục: {self.folder}"
            )
        elif self.kind == KIND_CLOUD:
            out.append(
                "Thư mục dữ liệu đang nằm trong thư mục đồng bộ đám mây (OneDrive, Google Drive, "
                "Dropbox…). Phần mềm đồng bộ có thể chép đè một bản cũ lên dữ liệu đang dùng. Hãy "
                f"chuyển dữ liệu ra thư mục thường trên máy này.\n\nThư mục: {self.folder}"
            )
        if self.low_space and self.free_bytes is not None:
            out.append(
                f"Ổ đĩa chứa dữ liệu chỉ còn {format_bytes(self.free_bytes)} trống. Hãy dọn bớt tệp "
                "không cần thiết (hoặc nhờ cán bộ quản trị) trước khi nhập thêm dữ liệu, để việc "
                "lưu và sao lưu không bị lỗi giữa chừng."
            )
        return tuple(out)


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - unreachable


def free_bytes(folder: Path) -> int | None:
    target = _existing_ancestor(folder)
    try:
        return shutil.disk_usage(target).free
    except OSError:
        return None


def check_folder(folder: Path, *, low_space_bytes: int = LOW_SPACE_BYTES) -> FolderCheck:
    """Where `folder` lives (local, network, cloud-synced) and whether its disk is nearly full."""
    kind, reason = folder_kind(folder)
    free = free_bytes(folder)
    return FolderCheck(folder, kind, reason, free, free is not None and free < low_space_bytes)


def require_space(folder: Path, needed: int, what: str) -> None:
    """Raise NotEnoughSpace unless `needed` bytes plus a margin fit on `folder`'s disk."""
    free = free_bytes(folder)
    if free is not None and free < needed + SPACE_MARGIN_BYTES:
        raise NotEnoughSpace(
            f"Không đủ chỗ trống để {what}: cần khoảng {format_bytes(needed + SPACE_MARGIN_BYTES)}, "
            f"ổ đĩa chỉ còn {format_bytes(free)}. Hãy giải phóng chỗ trống hoặc chọn ổ khác.\n\n"
            f"Thư mục: {folder}"
        )


def same_disk(a: Path, b: Path) -> bool | None:
    """True if both paths are on one device (st_dev: the volume serial number on Windows)."""
    try:
        return os.stat(_existing_ancestor(a)).st_dev == os.stat(_existing_ancestor(b)).st_dev
    except OSError:
        return None


def folder_kind(folder: Path) -> tuple[str, str | None]:
    by_name = cloud_folder_name(folder)
    if by_name is not None:
        return KIND_CLOUD, f"thư mục “{by_name}”"
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return _windows_kind(folder)
    fstype = mount_fs_type(folder)
    if fstype in NETWORK_FS_TYPES:
        return KIND_NETWORK, fstype
    if fstype in CLOUD_FS_TYPES:
        return KIND_CLOUD, fstype
    return KIND_LOCAL, fstype


def cloud_folder_name(folder: PurePath) -> str | None:
    """The path component that marks a sync client's folder, if any."""
    for part in folder.parts:
        low = part.casefold()
        if low in CLOUD_FOLDER_NAMES or low.startswith(CLOUD_FOLDER_PREFIXES):
            return part
    return None


def parse_mountinfo(text: str) -> list[tuple[str, str]]:
    """(mount point, file system type) pairs from /proc/self/mountinfo."""
    mounts: list[tuple[str, str]] = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        rest = right.split()
        if not sep or len(fields) < 5 or not rest:
            continue
        # Spaces and other specials in mount points are written as octal escapes (\040).
        point = fields[4].encode("latin-1", "backslashreplace").decode("unicode_escape")
        mounts.append((point, rest[0]))
    return mounts


def mount_fs_type(folder: Path, mountinfo: str | None = None) -> str | None:
    """The type of the file system holding `folder` (Linux), from the longest matching mount point."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = str(folder.expanduser().resolve(strict=False))
    best: tuple[int, str] | None = None
    for point, fstype in parse_mountinfo(mountinfo):
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), fstype)
    return best[1] if best else None


def _existing_ancestor(folder: Path) -> Path:
    current = folder.absolute()
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def _windows_kind(folder: Path) -> tuple[str, str | None]:  # pragma: no cover - Windows only
    """Drive type, volume label and Files-On-Demand attributes, through the Win32 API.

    Untested on Linux (no Windows API there); written so that any failure of a call means
    "do not know", never a false alarm and never an exception at start-up.
    """
    assert sys.platform == "win32"  # also tells mypy on Linux not to check the Win32 calls
    import ctypes
    from ctypes import wintypes

    path = str(_existing_ancestor(folder))
    if path.startswith("\\\\"):
        return KIND_NETWORK, "UNC"
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    root = os.path.splitdrive(path)[0] + "\\"

    get_drive_type = kernel32.GetDriveTypeW
    get_drive_type.argtypes = [wintypes.LPCWSTR]
    get_drive_type.restype = wintypes.UINT
    if get_drive_type(root) == DRIVE_REMOTE:
        return KIND_NETWORK, f"ổ mạng {root}"

    get_volume_info = kernel32.GetVolumeInformationW
    get_volume_info.argtypes = [
        wintypes.LPCWSTR,
        wintypes.LPWSTR,
        wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD),
        ctypes.POINTER(wintypes.DWORD),
        ctypes.POINTER(wintypes.DWORD),
        wintypes.LPWSTR,
        wintypes.DWORD,
    ]
    get_volume_info.restype = wintypes.BOOL
    label = ctypes.create_unicode_buffer(261)
    fs_name = ctypes.create_unicode_buffer(261)
    got_volume = get_volume_info(root, label, 261, None, None, None, fs_name, 261)
    if got_volume and label.value.casefold().startswith(CLOUD_VOLUME_LABELS):
        return KIND_CLOUD, f"ổ {root} “{label.value}”"

    for env in ("OneDrive", "OneDriveCommercial", "OneDriveConsumer"):
        base = os.environ.get(env)
        if base and _is_within(Path(path), Path(base)):
            return KIND_CLOUD, env

    get_attributes = kernel32.GetFileAttributesW
    get_attributes.argtypes = [wintypes.LPCWSTR]
    get_attributes.restype = wintypes.DWORD
    attributes = get_attributes(path)
    if attributes != INVALID_FILE_ATTRIBUTES and attributes & CLOUD_ATTRIBUTES:
        return KIND_CLOUD, "thuộc tính tệp đồng bộ đám mây"
    return KIND_LOCAL, fs_name.value or None


def _is_within(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except (ValueError, OSError):
        return False
    return True
