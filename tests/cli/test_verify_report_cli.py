"""`python -m app verify` prints the verification report in words (or --json), as a subprocess
on a record issued through the real signing order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from app.models.db import open_database
from app.sync import protocol
from app.sync.state import get_state
from tests.cli.test_commands import run_app
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import start_hub
from tests.services.verification_data import IssuedSchool, flip_byte, issued_school


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> IssuedSchool:
    return issued_school(tmp_path_factory.mktemp("issued-cli"))


def test_the_report_in_words_with_the_schools_database(school: IssuedSchool, tmp_path: Path) -> None:
    pdf = tmp_path / "hocba.pdf"
    pdf.write_bytes(school.pdf)
    proc = run_app("verify", str(pdf), "--db", str(school.path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("Tệp: hocba.pdf") and "KẾT LUẬN: Hợp lệ: 3 chữ ký" in out
    assert "— Giáo viên chủ nhiệm" in out and "— Hiệu trưởng" in out and "— Nhà trường (con dấu)" in out
    assert "Được tin cậy: có" in out and "Thời điểm tin cậy (dấu thời gian): không có dấu thời gian" in out
    # Not connected to a hub: the report says so instead of waiting for one.
    assert "Máy chủ của Sở" not in out

    data = json.loads(run_app("verify", "--json", str(pdf), "--db", str(school.path)).stdout)
    assert data["ok"] is True and data["hub"] is None and data["file"] == str(pdf)
    assert [s["role_code"] for s in data["signatures"]] == ["gvcn", "hieutruong", "condau"]


def test_changed_and_untrusted_in_words(school: IssuedSchool, tmp_path: Path) -> None:
    pdf = tmp_path / "hocba.pdf"
    pdf.write_bytes(school.pdf)
    untrusted = run_app("verify", str(pdf))  # without the school's data the demo CA is not trusted
    assert untrusted.returncode == 1
    assert "KẾT LUẬN: Tài liệu không bị sửa, nhưng chưa xác thực được người ký" in untrusted.stdout
    assert "Được tin cậy: không" in untrusted.stdout

    pdf.write_bytes(flip_byte(school.pdf))
    changed = run_app("verify", str(pdf), "--db", str(school.path))
    assert changed.returncode == 1
    assert "KẾT LUẬN: Tài liệu đã bị sửa sau khi ký" in changed.stdout
    assert "Còn nguyên vẹn: không" in changed.stdout

    missing_db = run_app("verify", str(pdf), "--db", str(tmp_path / "khong-co.sqlite3"))
    assert missing_db.returncode == 2 and "Không có tệp cơ sở dữ liệu" in missing_db.stderr


def test_with_a_connected_hub_the_report_says_whether_it_was_superseded(
    school: IssuedSchool, tmp_path: Path
) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)
    db_path = copy / school.path.name
    hub = start_hub(tmp_path / "hub", verify=False)
    try:
        wire = Wire(hub.url, hub.device("19039901"))
        first = manifest_for(school.pdf, "19039901")
        correction = school.pdf + b"\n%correction\n"  # stands for the re-signed corrected version
        for pdf, manifest in (
            (school.pdf, first),
            (correction, manifest_for(correction, "19039901", version=2, supersedes=first.document_id)),
        ):
            assert wire.put_blob(pdf).status_code in (200, 201)
            assert wire.submit(manifest).status_code == 201
        wire.close()
        key = protocol.Info.from_json(httpx.get(f"{hub.url}/v1/info").json()).public_key
        db = open_database(db_path)
        with db.write() as s:  # what hub-connect leaves behind: the address and the pinned key
            state = get_state(s)
            state.hub_url, state.hub_public_key = hub.url, protocol.b64(key)
        db.dispose()

        pdf = tmp_path / "hocba-v1.pdf"
        pdf.write_bytes(school.pdf)
        proc = run_app("verify", str(pdf), "--db", str(db_path))
        assert proc.returncode == 0, proc.stdout + proc.stderr  # the signatures are still valid…
        assert "Máy chủ của Sở: Đã bị thay thế" in proc.stdout  # …but it is not the current version
        assert "phiên bản 2" in proc.stdout
        data = json.loads(run_app("verify", "--json", str(pdf), "--db", str(db_path)).stdout)
        assert data["hub"]["status"] == "superseded" and data["hub"]["receipt_checked"] is True
    finally:
        hub.stop()
