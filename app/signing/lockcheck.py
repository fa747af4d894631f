"""Whether a document may still be signed in a given field.

pyHanko only refuses to sign after a certification signature with "no changes"; it signs
a document an approval signature has locked (FieldMDP / field lock with /P 1) and so
silently breaks that signature. The app reads every existing signature's locks itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, enumerate_sig_fields

from app.signing.errors import (
    CertificationNotFirstError,
    DocumentLockedError,
    FieldAlreadySignedError,
    FieldLockMissingError,
    FieldMissingError,
)


@dataclass(frozen=True)
class FieldLock:
    fields: FieldMDPSpec | None  # which fields a signature in this field locks
    docmdp: MDPPerm | None  # the document-wide level it imposes

    @property
    def locks_everything(self) -> bool:
        return self.docmdp == MDPPerm.NO_CHANGES


@dataclass(frozen=True)
class SignatureField:
    name: str
    signed: bool
    lock: FieldLock  # from the signature itself once signed, else from the field's /Lock


@dataclass(frozen=True)
class LockState:
    fields: tuple[SignatureField, ...]
    certification: MDPPerm | None

    def field(self, name: str) -> SignatureField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def signed(self) -> tuple[SignatureField, ...]:
        return tuple(f for f in self.fields if f.signed)

    def locked_by(self, field_name: str) -> str | None:
        """The field whose signature forbids signing `field_name`, if any."""
        if self.certification == MDPPerm.NO_CHANGES:
            return next((f.name for f in self.signed), "?")
        for sig in self.signed:
            if sig.lock.locks_everything:
                return sig.name
            if sig.lock.fields is not None and sig.lock.fields.is_locked(field_name):
                return sig.name
        return None


def lock_state_of(pdf: bytes) -> LockState:
    """The signature fields of a PDF and what locks them, without any token."""
    return read_lock_state(PdfFileReader(io.BytesIO(pdf)))


def read_lock_state(reader: PdfFileReader) -> LockState:
    fields = []
    for name, value, field_ref in enumerate_sig_fields(reader):
        field_lock = _field_lock(field_ref.get_object())
        signed = value is not None
        # Once signed, the signature's own /Reference says what it locks; the field's /Lock
        # is kept in the reckoning too, so a signer that ignored it cannot unlock anything.
        lock = _stricter(_signature_lock(value.get_object()), field_lock) if signed else field_lock
        fields.append(SignatureField(name=name, signed=signed, lock=lock))
    return LockState(tuple(fields), _certification_level(reader))


def _stricter(a: FieldLock | None, b: FieldLock) -> FieldLock:
    if a is None:
        return b
    levels = [level for level in (a.docmdp, b.docmdp) if level is not None]
    return FieldLock(a.fields or b.fields, min(levels) if levels else None)


def check_can_sign(state: LockState, field_name: str, *, certify: bool, requires_field_lock: bool) -> None:
    """Raises the DocumentRefused that says why `field_name` cannot be signed now."""
    target = state.field(field_name)
    if target is None:
        raise FieldMissingError(field_name)
    if target.signed:
        raise FieldAlreadySignedError(field_name)
    locked_by = state.locked_by(field_name)
    if locked_by is not None:
        raise DocumentLockedError(locked_by)
    if certify and state.signed:
        raise CertificationNotFirstError(field_name)
    if requires_field_lock and not (
        target.lock.fields is not None
        and target.lock.fields.action == FieldMDPAction.ALL
        and target.lock.docmdp in (None, MDPPerm.NO_CHANGES)
    ):
        # Adding the /Lock now would be a change the earlier signatures do not allow. A lock
        # of all fields without /P still locks the record: every field is frozen and the
        # homeroom teacher's certification already forbids anything but form filling.
        raise FieldLockMissingError(field_name)


def _certification_level(reader: PdfFileReader) -> MDPPerm | None:
    try:
        sig = reader.root["/Perms"]["/DocMDP"]
    except KeyError:
        return None
    lock = _signature_lock(sig)
    # A certification without a readable level is taken as the default, form filling.
    return lock.docmdp if lock is not None and lock.docmdp is not None else MDPPerm.FILL_FORMS


def _signature_lock(sig: generic.DictionaryObject) -> FieldLock | None:
    """Locks written in a signature's /Reference transforms (DocMDP and FieldMDP)."""
    try:
        references = sig["/Reference"]
    except KeyError:
        return None
    fields: FieldMDPSpec | None = None
    docmdp: MDPPerm | None = None
    for ref in references:
        ref = ref.get_object()
        method = ref.get("/TransformMethod")
        params = ref.get("/TransformParams")
        if params is None:
            continue
        params = params.get_object()
        if method == "/DocMDP":
            docmdp = _perm(params.get("/P"), default=MDPPerm.FILL_FORMS)
        elif method == "/FieldMDP":
            fields = FieldMDPSpec.from_pdf_object(params)
            if "/P" in params:
                docmdp = _perm(params.get("/P"), default=None)
    return FieldLock(fields, docmdp)


def _field_lock(field: generic.DictionaryObject) -> FieldLock:
    try:
        lock = field["/Lock"]
    except KeyError:
        return FieldLock(None, None)
    return FieldLock(FieldMDPSpec.from_pdf_object(lock), _perm(lock.get("/P"), default=None))


def _perm(value: object, *, default: MDPPerm | None) -> MDPPerm | None:
    if value is None:
        return default
    try:
        return MDPPerm(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
