"""The signatures panel: one card per signature, the verdict first, a changed document in red.

Shown beside the học bạ preview and in the "verify any file" dialog. The report comes from
app.services.verification (computed off the GUI thread); this module only lays it out, and
turns it into the HTML that the printed report uses, so screen and paper say the same.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.i18n import _
from app.services.verification import SignatureCard, VerificationReport, card_rows
from app.sync.verify_client import HubVerdict

RED = "#b3261e"
ORANGE = "#9a5300"
GREEN = "#17663a"
GREY = "#555555"


def report_colour(report: VerificationReport) -> str:
    if report.changed or report.problem is not None:
        return RED
    if report.ok and not report.superseded:
        return GREEN
    return ORANGE


def hub_colour(verdict: HubVerdict) -> str:
    return {"current": GREEN, "superseded": ORANGE, "unknown": RED}.get(verdict.status, GREY)


class SignatureCardWidget(QFrame):
    """One signature: who, in which role, when, intact, trusted, later changes, the verdict."""

    def __init__(self, index: int, card: SignatureCard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card = card
        self.setObjectName("signatureCard")
        colour = RED if card.changed else (GREEN if card.ok else ORANGE)
        self.setStyleSheet(
            f"QFrame#signatureCard {{ border: 1px solid {colour}; border-left: 6px solid {colour};"
            " border-radius: 6px; background: white; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(3)
        self.name_label = QLabel(
            _("Chữ ký {index}: {name}").format(index=index, name=card.signer_name or _("không rõ tên"))
        )
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setWordWrap(True)
        self.role_label = QLabel(_("Vai trò: {role}").format(role=f"<b>{html.escape(card.role)}</b>"))
        self.role_label.setWordWrap(True)
        layout.addWidget(self.name_label)
        layout.addWidget(self.role_label)
        for label, value in card_rows(card):
            row = QLabel(f"{html.escape(label)}: <b>{html.escape(value)}</b>")
            row.setWordWrap(True)
            layout.addWidget(row)
        self.verdict_label = QLabel(card.verdict)
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        layout.addWidget(self.verdict_label)


class SignaturesPanel(QScrollArea):
    """The verdict of a whole document and a card per signature."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(300)
        self.report: VerificationReport | None = None
        self.cards: list[SignatureCardWidget] = []
        body = QWidget()
        body.setObjectName("signaturesBody")
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(8)
        self.title_label = QLabel(_("Chữ ký số"))
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title_label.setFont(font)
        self.headline_label = QLabel(_("Đang kiểm tra chữ ký…"))
        self.headline_label.setObjectName("verificationHeadline")
        self.headline_label.setWordWrap(True)
        self.headline_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(8)
        self.unsigned_label = QLabel()
        self.unsigned_label.setWordWrap(True)
        self.unsigned_label.setStyleSheet(f"color: {GREY};")
        self.hub_label = QLabel()
        self.hub_label.setWordWrap(True)
        self.hub_label.setVisible(False)
        self._layout.addWidget(self.title_label)
        self._layout.addWidget(self.headline_label)
        self._layout.addWidget(self.hub_label)  # right under the verdict: "superseded" matters as much
        self._layout.addLayout(self.cards_box)
        self._layout.addWidget(self.unsigned_label)
        self._layout.addStretch(1)
        self.setWidget(body)

    def show_message(self, text: str) -> None:
        """No report to show (a preview before signing, a failure): one line in grey."""
        self.report = None
        self._clear_cards()
        self.headline_label.setText(text)
        self.headline_label.setStyleSheet(f"color: {GREY};")
        self.unsigned_label.setText("")

    def set_report(self, report: VerificationReport) -> None:
        self.report = report
        self._clear_cards()
        colour = report_colour(report)
        self.headline_label.setText(report.headline)
        self.headline_label.setStyleSheet(
            f"color: {colour}; font-weight: bold; border: 2px solid {colour}; border-radius: 6px;"
            " padding: 8px; background: white;"
        )
        for index, card in enumerate(report.signatures, 1):
            widget = SignatureCardWidget(index, card)
            self.cards.append(widget)
            self.cards_box.addWidget(widget)
        lines = list(report.details)
        if report.unsigned_fields:
            lines.append(_("Ô chữ ký còn trống: {fields}").format(fields=", ".join(report.unsigned_fields)))
        self.unsigned_label.setText("\n".join(lines))
        if report.hub is not None:
            self.set_hub(report.hub)

    def set_hub(self, verdict: HubVerdict | None, *, checking: bool = False) -> None:
        if checking:
            self.hub_label.setText(_("Đang hỏi máy chủ của Sở…"))
            self.hub_label.setStyleSheet(f"color: {GREY};")
        elif verdict is not None:
            self.hub_label.setText(_("Máy chủ của Sở: {message}").format(message=verdict.message))
            colour = hub_colour(verdict)
            self.hub_label.setStyleSheet(
                f"color: {colour}; border: 1px solid {colour}; border-radius: 6px; padding: 6px;"
            )
        self.hub_label.setVisible(checking or verdict is not None)

    def _clear_cards(self) -> None:
        for widget in self.cards:
            self.cards_box.removeWidget(widget)
            widget.deleteLater()
        self.cards = []


def report_html(report: VerificationReport, *, printed_at: str = "") -> str:
    """The report for paper: the same words as the panel, laid out for an A4 page."""
    e = html.escape
    colour = report_colour(report)
    parts = [
        "<html><body style='font-family: \"Noto Sans\", sans-serif; font-size: 10pt;'>",
        f"<h2 style='margin-bottom: 2px;'>{e(_('BÁO CÁO XÁC MINH CHỮ KÝ SỐ'))}</h2>",
        f"<p>{e(_('Tệp'))}: <b>{e(report.file_name)}</b><br>",
        f"{e(_('Mã SHA-256'))}: <span style='font-family: monospace;'>{e(report.sha256)}</span></p>",
        f"<p style='color: {colour}; font-size: 12pt;'><b>{e(_('Kết luận'))}: {e(report.headline)}</b></p>",
    ]
    if report.hub is not None:
        parts.append(
            f"<p style='color: {hub_colour(report.hub)};'>"
            f"{e(_('Máy chủ của Sở: {message}').format(message=report.hub.message))}</p>"
        )
    for index, card in enumerate(report.signatures, 1):
        card_colour = RED if card.changed else (GREEN if card.ok else ORANGE)
        who = e(card.signer_name or _("không rõ tên"))
        parts.append(
            f"<h3 style='margin-bottom: 2px;'>{e(_('Chữ ký {index}').format(index=index))}: {who}"
            f" — {e(card.role)}</h3><table cellspacing='0' cellpadding='2'>"
        )
        for label, value in card_rows(card):
            parts.append(f"<tr><td>{e(label)}</td><td><b>{e(value)}</b></td></tr>")
        parts.append(f"</table><p style='color: {card_colour};'><b>{e(card.verdict)}</b></p>")
    if report.unsigned_fields:
        empty = _("Ô chữ ký còn trống: {fields}").format(fields=", ".join(report.unsigned_fields))
        parts.append(f"<p>{e(empty)}</p>")
    for line in report.details:
        parts.append(f"<p>{e(line)}</p>")
    footer = _(
        "Báo cáo do phần mềm Học bạ số lập bằng cách kiểm tra chữ ký số của tệp với "
        "danh sách chứng thư tin cậy của nhà trường."
    )
    if printed_at:
        footer += " " + _("In lúc {time}.").format(time=printed_at)
    parts.append(f"<hr><p style='color: {GREY}; font-size: 8pt;'>{e(footer)}</p></body></html>")
    return "".join(parts)
