"""Data folder checks: the instance lock across processes, network/cloud folders, free space.

The Windows branch (GetDriveTypeW, GetVolumeInformationW, GetFileAttributesW through ctypes)
cannot run here; its inputs are covered by the name rules below, its calls are not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

from app.services import datafolder
from app.services.datafolder import (
    KIND_CLOUD,
    KIND_LOCAL,
    KIND_NETWORK,
    InstanceLock,
    NotEnoughSpace,
    check_folder,
    cloud_folder_name,
    folder_kind,
    is_in_use,
    mount_fs_type,
    parse_mountinfo,
    require_space,
)

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from pathlib import Path
from app.services.datafolder import InstanceLock
lock = InstanceLock.acquire(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(60)
"""


def test_the_lock_is_exclusive_across_processes_and_dies_with_its_holder(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert InstanceLock.try_acquire(tmp_path) is None
        assert is_in_use(tmp_path)
        with pytest.raises(datafolder.InstanceRunning, match="đang mở"):
            InstanceLock.acquire(tmp_path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # A killed holder leaves the file, but not the lock.
    assert (tmp_path / datafolder.LOCK_FILE).exists()
    assert not is_in_use(tmp_path)
    with InstanceLock.acquire(tmp_path) as lock:
        assert lock.held
    assert not lock.held


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /mnt/school\\040share rw,relatime shared:20 - cifs //server/share rw,vers=3.0
41 22 0:36 / /home/gv/nfs rw - nfs4 server:/export rw
42 22 0:37 / /home/gv/cloud rw - fuse.rclone gdrive: rw
"""


def test_mount_types_from_mountinfo(tmp_path: Path) -> None:
    assert ("/mnt/school share", "cifs") in parse_mountinfo(MOUNTINFO)
    assert mount_fs_type(Path("/"), MOUNTINFO) == "ext4"
    assert mount_fs_type(Path("/mnt/school share/hocba"), MOUNTINFO) == "cifs"
    assert mount_fs_type(Path("/home/gv/nfs/a/b"), MOUNTINFO) == "nfs4"
    assert mount_fs_type(Path("/home/gv/nfsx"), MOUNTINFO) == "ext4"  # a prefix is not a parent
    assert mount_fs_type(Path("/home/gv/cloud/x"), MOUNTINFO) == "fuse.rclone"


def test_cloud_folders_by_name() -> None:
    assert cloud_folder_name(PureWindowsPath(r"C:\Users\gv\OneDrive\HocBa")) == "OneDrive"
    assert cloud_folder_name(PureWindowsPath(r"C:\Users\gv\OneDrive - THCS Minh Khai\HocBa"))
    assert cloud_folder_name(PureWindowsPath(r"G:\My Drive\HocBa")) == "My Drive"
    assert cloud_folder_name(Path("/home/gv/Dropbox/hocba")) == "Dropbox"
    assert cloud_folder_name(PureWindowsPath(r"C:\Users\gv\AppData\Local\HocBaSo")) is None
    kind, reason = folder_kind(Path("/home/gv/Google Drive/hocba"))
    assert kind == KIND_CLOUD and reason and "Google Drive" in reason


def test_this_machines_temp_folder_is_local_with_room(tmp_path: Path) -> None:
    check = check_folder(tmp_path)
    assert check.kind == KIND_LOCAL
    assert check.free_bytes and check.free_bytes > 0
    assert check.messages == () or check.low_space


def test_messages_say_what_to_do(tmp_path: Path) -> None:
    network = datafolder.FolderCheck(tmp_path, KIND_NETWORK, "cifs", 10**12, False)
    assert "ổ mạng" in network.messages[0] and str(tmp_path) in network.messages[0]
    full = datafolder.FolderCheck(tmp_path, KIND_LOCAL, "ext4", 200 * 1024 * 1024, True)
    assert "chỉ còn 200,0 MB" in full.messages[0]


def test_require_space_refuses_before_writing(tmp_path: Path) -> None:
    free = datafolder.free_bytes(tmp_path)
    assert free is not None
    require_space(tmp_path, 1024, "thử")
    with pytest.raises(NotEnoughSpace, match="Không đủ chỗ trống để sao lưu"):
        require_space(tmp_path, free + 1, "sao lưu")
