"""Signing errors: each says in Vietnamese what happened and what the user should do.

Two families. `SigningError`s that stop a whole batch (token, PIN, certificate) and
`DocumentRefused`, which concerns one document only: a batch records it for that document
and goes on with the next.
"""

from __future__ import annotations

from datetime import datetime

from app.errors import UserFacingError


def _vn_datetime(moment: datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")


class SigningError(UserFacingError):
    """Anything the user can fix about signing (token, PIN, certificate, document)."""


# --- the token and its module -------------------------------------------------------


class ModuleLoadError(SigningError):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"Không nạp được trình điều khiển token ({path}): {detail}. Hãy cài phần mềm của nhà "
            "cung cấp chữ ký số (bản 64-bit) hoặc chọn đúng tệp trình điều khiển trong Cài đặt."
        )
        self.path = path


class NoTokenError(SigningError):
    def __init__(self, wanted: str | None = None) -> None:
        what = f"token {wanted}" if wanted else "token chữ ký số nào"
        super().__init__(f"Không tìm thấy {what}. Hãy cắm token vào máy, đợi đèn sáng rồi thử lại.")


class TokenRemovedError(SigningError):
    def __init__(self) -> None:
        super().__init__(
            "Token đã bị rút ra (hoặc mất kết nối) trong khi ký. Các tài liệu đã ký xong vẫn được giữ; "
            "hãy cắm lại token và chạy lại đợt ký để ký tiếp các tài liệu còn lại."
        )


class TokenError(SigningError):
    """A PKCS#11 failure with no more specific meaning; `code` is the library's error name."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Token báo lỗi ({code}). Hãy rút token ra, cắm lại rồi thử lại; nếu vẫn lỗi, "
            "hãy liên hệ bộ phận hỗ trợ của nhà cung cấp chữ ký số."
        )
        self.code = code


class PinRequiredError(SigningError):
    def __init__(self) -> None:
        super().__init__("Cần nhập mã PIN của token để ký.")


class WrongPinError(SigningError):
    """The PIN was refused. PKCS#11 gives no count of tries left, only the token's flags."""

    def __init__(self, *, count_low: bool, final_try: bool) -> None:
        if final_try:
            hint = (
                " Token báo CHỈ CÒN MỘT LẦN THỬ: nếu nhập sai lần nữa, token sẽ bị khoá. "
                "Hãy kiểm tra kỹ mã PIN trước khi nhập."
            )
        elif count_low:
            hint = (
                " Token báo đã có lần nhập sai: số lần thử còn lại đang giảm, "
                "hãy kiểm tra kỹ trước khi nhập lại."
            )
        else:
            hint = " Hãy nhập lại."
        super().__init__("Mã PIN không đúng." + hint, field="pin")
        self.count_low = count_low
        self.final_try = final_try


class PinLockedError(SigningError):
    def __init__(self) -> None:
        super().__init__(
            "Mã PIN của token đã bị khoá do nhập sai quá nhiều lần. Hãy liên hệ nhà cung cấp chữ ký số "
            "(hoặc dùng mã PUK/SO PIN theo hướng dẫn của họ) để mở khoá; ứng dụng không thể mở khoá token."
        )


class PinEntryCancelledError(SigningError):
    def __init__(self) -> None:
        super().__init__("Việc nhập PIN trên đầu đọc đã bị huỷ. Hãy thử lại nếu bạn muốn ký.")


class PinPadNotSupportedError(SigningError):
    def __init__(self) -> None:
        super().__init__(
            "Token này yêu cầu nhập PIN trên bàn phím của đầu đọc trước mỗi chữ ký; ứng dụng chưa hỗ trợ "
            "kiểu token này. Hãy dùng token khác hoặc liên hệ bộ phận hỗ trợ."
        )


# --- the certificate --------------------------------------------------------------


class CertificateNotFoundError(SigningError):
    def __init__(self, cert_id_hex: str) -> None:
        super().__init__(
            f"Trên token không có chứng thư số đã chọn (mã {cert_id_hex or 'rỗng'}). "
            "Hãy cắm đúng token hoặc chọn lại chứng thư số."
        )


class KeyNotFoundError(SigningError):
    def __init__(self, cert_id_hex: str) -> None:
        super().__init__(
            f"Token không có khoá bí mật đi kèm chứng thư số đã chọn (mã {cert_id_hex or 'rỗng'}). "
            "Hãy chọn chứng thư số khác trên token."
        )


class CertificateExpiredError(SigningError):
    def __init__(self, not_after: datetime) -> None:
        super().__init__(
            f"Chứng thư số đã hết hạn từ {_vn_datetime(not_after)}. Hãy gia hạn chứng thư số với nhà "
            "cung cấp rồi đăng ký lại chứng thư mới trong ứng dụng."
        )
        self.not_after = not_after


class CertificateNotYetValidError(SigningError):
    def __init__(self, not_before: datetime) -> None:
        super().__init__(
            f"Chứng thư số chỉ có hiệu lực từ {_vn_datetime(not_before)}. Hãy kiểm tra đồng hồ của "
            "máy tính, hoặc đợi đến ngày đó để ký."
        )
        self.not_before = not_before


class CertificateUsageError(SigningError):
    def __init__(self) -> None:
        super().__init__(
            "Chứng thư số này không được cấp cho việc ký (thiếu mục đích \u201cký số\u201d). "
            "Hãy chọn chứng thư số ký của bạn trên token."
        )


class CertificateMismatchError(SigningError):
    def __init__(self, holder: str) -> None:
        super().__init__(
            f"Chứng thư số trên token ({holder}) không phải chứng thư đã đăng ký cho người ký này. "
            "Hãy cắm đúng token của mình, hoặc nhờ quản trị viên đăng ký chứng thư số mới."
        )
        self.holder = holder


class DemoSignerRefusedError(SigningError):
    def __init__(self) -> None:
        super().__init__("Chữ ký thử (DEMO) chỉ dùng được cho trường mẫu. Hãy ký bằng token chữ ký số thật.")


# --- one document ------------------------------------------------------------------


class DocumentRefused(SigningError):
    """This document cannot be signed; the rest of the batch may go on."""


class InvalidDocumentError(DocumentRefused):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Không đọc được tệp PDF ({detail}). Hãy tạo lại tài liệu rồi ký.")


class FieldMissingError(DocumentRefused):
    def __init__(self, field_name: str) -> None:
        super().__init__(
            f"Tài liệu không có ô chữ ký \u201c{field_name}\u201d. Hãy tạo lại tài liệu bằng ứng dụng rồi ký."
        )
        self.field_name = field_name


class FieldAlreadySignedError(DocumentRefused):
    """The field holds a signature already: a resumed batch treats this as done."""

    def __init__(self, field_name: str) -> None:
        super().__init__(f"Ô chữ ký \u201c{field_name}\u201d của tài liệu này đã được ký rồi.")
        self.field_name = field_name


class DocumentLockedError(DocumentRefused):
    def __init__(self, locked_by: str) -> None:
        super().__init__(
            f"Tài liệu đã được khoá bởi chữ ký ở ô \u201c{locked_by}\u201d nên không thể ký thêm. "
            "Nếu cần sửa, hãy lập bản điều chỉnh của học bạ."
        )
        self.locked_by = locked_by


class CertificationNotFirstError(DocumentRefused):
    def __init__(self, field_name: str) -> None:
        super().__init__(
            f"Chữ ký ở ô \u201c{field_name}\u201d phải là chữ ký đầu tiên của tài liệu, nhưng tài liệu "
            "đã có chữ ký khác. Hãy tạo lại tài liệu rồi ký theo đúng thứ tự."
        )
        self.field_name = field_name


class FieldLockMissingError(DocumentRefused):
    def __init__(self, field_name: str) -> None:
        super().__init__(
            f"Ô chữ ký \u201c{field_name}\u201d không mang lệnh khoá tài liệu nên chữ ký đóng dấu sẽ không "
            "khoá được học bạ. Hãy tạo lại tài liệu bằng ứng dụng rồi ký."
        )
        self.field_name = field_name
