"""`python -m app evaluate`: the rules engine's public face (JSON on stdin → JSON on stdout).

Exit codes: 0 computed; 2 bad input (the message names the field). Never a traceback
for bad input: the command is scripted by IT staff and used by the what-if calculator.
"""

from __future__ import annotations

import json
from typing import TextIO

from app.rules.evaluate_json import evaluate_json
from app.rules.levels import RuleInputError

EXIT_BAD_INPUT = 2


def run(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    text = stdin.read()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        stderr.write(
            f"Lỗi: dữ liệu vào không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}: "
            f"{exc.msg}). Hãy kiểm tra lại dấu ngoặc và dấu phẩy.\n"
        )
        return EXIT_BAD_INPUT
    try:
        result = evaluate_json(payload)
    except RuleInputError as exc:
        stderr.write(f"Lỗi ở trường {exc.field}: {exc.message}\n")
        return EXIT_BAD_INPUT
    json.dump(result, stdout, ensure_ascii=False, indent=2)
    stdout.write("\n")
    return 0
