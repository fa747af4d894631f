"""The signing service timestamps each signature when the school set a timestamp server (the sync
settings' one), and signs on without when the server cannot be reached, saying so."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from app.services.certificates import SEAL
from app.services.signing_run import timestamp_server
from app.signing.timestamps import has_signature_timestamp
from app.sync.status import save_settings
from tests.hub.servers import free_port
from tests.services.signing_data import DemoClass, make_demo_class
from tests.sync.ltv_pki import LtvPki, start_ltv_pki

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtvPki]:
    pki = start_ltv_pki(tmp_path_factory.mktemp("tsa"))
    yield pki
    pki.stop()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoClass]:
    made = make_demo_class(tmp_path / "school", students=1)
    yield made
    made.db.dispose()


def _timestamped(pdf: bytes) -> dict[str, bool]:
    sigs = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    return {str(s.field_name): has_signature_timestamp(s.signer_info) for s in sigs}


def test_each_signature_of_the_order_carries_its_timestamp(demo: DemoClass, tsa: LtvPki) -> None:
    assert timestamp_server(demo.db) is None
    save_settings(demo.db, timestamp_url=tsa.tsa_url)
    assert timestamp_server(demo.db) == tsa.tsa_url
    demo.lock_all()
    demo.sign_sheets()
    for role, login in (("gvcn", demo.homeroom), ("hieutruong", demo.principal), ("condau", SEAL)):
        run = demo.sign(role, login)
        assert run.complete and run.timestamp_note is None
    assert _timestamped(demo.current_file("issued")) == {"GVCN": True, "HieuTruong": True, "ConDau": True}


def test_an_unreachable_server_signs_without_and_says_so(demo: DemoClass) -> None:
    save_settings(demo.db, timestamp_url=f"http://127.0.0.1:{free_port()}/tsa")
    demo.lock_all()
    demo.sign_sheets()
    run = demo.sign("gvcn", demo.homeroom)
    assert run.complete
    assert run.timestamp_note is not None and "ký không có dấu thời gian" in run.timestamp_note
