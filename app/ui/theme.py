"""Colours, sizes and the style sheet, in one place.

Colour is never the only signal: every coloured cell also says what it means in words.
Backgrounds are soft so black text stays readable on old, washed-out monitors.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

BASE_POINT_SIZE = 12.0  # comfortable for 55-year-old eyes on a 1366×768 screen
HEADER_POINT_SIZE = 17.0

NOT_PROMOTED_BG = QColor("#f9d9dc")  # soft red: ở lại lớp
REASSESSMENT_BG = QColor("#fff0c2")  # soft amber: kiểm tra lại
SUMMER_TRAINING_BG = QColor("#ffe1c7")  # soft orange: rèn luyện trong hè
WARNING_TEXT = QColor("#a14a00")  # dark orange, readable on white and on the soft colours
MUTED_TEXT = QColor("#555555")

ACCENT = "#1f5fa8"
DEMO_BADGE_BG = "#c2410c"

STYLE_SHEET = f"""
QFrame#header {{
    background: {ACCENT};
}}
QFrame#header QLabel {{
    color: white;
}}
QLabel#demoBadge {{
    background: {DEMO_BADGE_BG};
    color: white;
    border: 2px solid white;
    border-radius: 6px;
    padding: 2px 12px;
    font-weight: bold;
}}
QFrame#navigation {{
    background: #eef2f7;
    border-right: 1px solid #c9d3df;
}}
QFrame#navigation QPushButton {{
    text-align: left;
    padding: 10px 16px;
    border: none;
    border-radius: 6px;
    background: transparent;
    color: #1b1b1b;
}}
QFrame#navigation QPushButton:checked {{
    background: {ACCENT};
    color: white;
    font-weight: bold;
}}
QFrame#navigation QPushButton:hover:!checked:enabled {{
    background: #dbe5f1;
}}
QFrame#navigation QPushButton:disabled {{
    color: #8a8a8a;
}}
QLabel#navCaption {{
    color: #555555;
    padding: 14px 16px 2px 16px;
}}
QLabel#countsLine {{
    font-weight: bold;
}}
QLabel#pageError {{
    background: #f9d9dc;
    color: #6b0a12;
    border: 1px solid #d68f96;
    border-radius: 4px;
    padding: 8px;
}}
QFrame#whyPanel {{
    background: #fbfbf6;
    border: 1px solid #d8d8cc;
    border-radius: 4px;
}}
"""
