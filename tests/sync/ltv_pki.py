"""A test PKI with real revocation and timestamp services on loopback (certomancer's animator).

Root → intermediate → the homeroom teacher's, the principal's and the seal's certificates,
each naming the intermediate's OCSP responder; the intermediate names the root's CRL; a
timestamp authority. Keys are made at test time (P-256). The demo PKI of app.signing has
no revocation endpoints, so the long-term tests sign with these keys, with pyHanko and the
roles' modes (certify, lock) of app.signing.roles, like the product's batch does.
"""

from __future__ import annotations

import asyncio
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig, PKIArchitecture
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager
from werkzeug.serving import BaseWSGIServer, make_server

from app.signing.roles import Role

NAMES = ("root", "interm", "tsa", "ocsp", "gv", "ht", "seal")
VALIDITY = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2045-01-01T00:00:00+0000"}
ARCH = "hocba"


def _usage(*bits: str) -> dict[str, Any]:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(bits)}}


def _crl_from(repo: str) -> dict[str, Any]:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


def _config(keys: Path, port: int, public_only: frozenset[str] = frozenset()) -> dict[str, Any]:
    ca = {"id": "basic_constraints", "critical": True, "value": {"ca": True}}
    leaf = [
        _usage("digital_signature", "non_repudiation"),
        {
            "id": "authority_information_access",
            "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}},
        },
    ]
    certs = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "extensions": [ca, _usage("digital_signature", "key_cert_sign", "crl_sign")],
        },
        "interm": {
            "subject": "interm",
            "issuer": "root",
            "extensions": [ca, _usage("digital_signature", "key_cert_sign", "crl_sign"), _crl_from("root")],
        },
        "tsa": {
            "subject": "tsa",
            "issuer": "root",
            "extensions": [
                _usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                _crl_from("root"),
            ],
        },
        "ocsp": {
            "subject": "ocsp",
            "issuer": "interm",
            "extensions": [
                _usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        },
        **{who: {"subject": who, "issuer": "interm", "extensions": leaf} for who in ("gv", "ht", "seal")},
    }
    for spec in certs.values():
        spec["validity"] = VALIDITY
    return {
        "external-url-prefix": f"http://127.0.0.1:{port}",
        "keysets": {
            "k": {
                "path-prefix": str(keys),
                "keys": {
                    n: {"path": f"{n}.key.pem", **({"public-only": True} if n in public_only else {})}
                    for n in NAMES
                },
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": "k",
                "entity-defaults": {"country-name": "VN", "organization-name": "Sở GD&ĐT thử nghiệm"},
                "entities": {n: {"common-name": n} for n in NAMES},
                "certs": certs,
                "services": {
                    "ocsp": {
                        "interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        }
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


@dataclass
class LtvPki:
    arch: PKIArchitecture
    server: BaseWSGIServer
    port: int

    @property
    def tsa_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ARCH}/tsa/tsa"

    @property
    def root(self) -> x509.Certificate:
        return self.arch.get_cert("root")

    def signer(self, label: str) -> signers.SimpleSigner:
        chain = SimpleCertificateStore.from_certs([self.arch.get_cert("interm"), self.root])
        return signers.SimpleSigner(
            signing_cert=self.arch.get_cert(label),
            signing_key=self.arch.key_set.get_private_key(label),
            cert_registry=chain,
        )

    def sign_record(self, pdf: bytes, *, reserve: int | None = 16_384) -> bytes:
        """GVCN certifies, the principal approves, the seal locks; B-B, offline, no timestamps.

        `reserve`: the room kept in each /Contents for data added later (the signature timestamp).
        """
        for role, who in ((Role.GVCN, "gv"), (Role.HIEU_TRUONG, "ht"), (Role.CON_DAU, "seal")):
            mode = role.mode
            meta = signers.PdfSignatureMetadata(
                field_name=mode.field_name,
                md_algorithm="sha256",
                subfilter=SigSeedSubFilter.PADES,
                certify=mode.certify,
                docmdp_permissions=mode.docmdp or MDPPerm.FILL_FORMS,
            )
            out = io.BytesIO()
            extra = {"bytes_reserved": reserve} if reserve else {}
            signers.PdfSigner(meta, self.signer(who)).sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), existing_fields_only=True, output=out, **extra
            )
            pdf = out.getvalue()
        return pdf

    def stop(self) -> None:
        self.server.shutdown()

    def ades(self, pdf: bytes) -> dict[str, tuple[str, bool]]:
        """pyHanko's AdES (LTA) validation per signature field: (subindication, intact and trusted)."""
        rule = RevocationCheckingRule.CHECK_IF_DECLARED
        spec = SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[self.root]),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule)
                ),
            )
        )
        out = {}
        for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
            result = asyncio.run(ades_lta_validation(sig, PdfSignatureValidationSpec(spec)))
            out[str(sig.field_name)] = (
                str(result.ades_subindic),
                bool(result.api_status and result.api_status.bottom_line),
            )
        return out


def _not_ready(environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def start_ltv_pki(folder: Path, *, public_keys: dict[str, bytes] | None = None) -> LtvPki:
    """`public_keys`: PEM public keys for some of gv/ht/seal whose private keys live elsewhere
    (on SoftHSM tokens): their certificates are issued for those keys."""
    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    public_keys = public_keys or {}
    for name, pem in public_keys.items():
        (keys / f"{name}.key.pem").write_bytes(pem)
    for name in NAMES:
        if name in public_keys:
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (keys / f"{name}.key.pem").write_bytes(pem)
    # Bind first (port 0), then build the PKI naming that port: no window for another process on
    # this machine to take a port picked in advance.
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
    port = int(server.server_port)
    config = CertomancerConfig(_config(keys, port, frozenset(public_keys)), key_search_dir=str(keys))
    server.app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    threading.Thread(target=server.serve_forever, name="certomancer", daemon=True).start()
    return LtvPki(config.get_pki_arch(ARCH), server, port)
