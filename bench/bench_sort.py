"""Vietnamese name ordering: time to sort a class and a whole school, cold caches.

Baseline in the same run: Python's plain `sorted()` on the same strings (code-point
order, which is wrong for Vietnamese but shows what the collation costs on top).
Prints figures only.
"""

from __future__ import annotations

import random
import statistics
import time

from app.rules import vnsort
from app.rules.vnsort import name_sort_key

FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
MIDDLES = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hoàng", "Gia", "Bảo", "Thị Kim", "Đức",
           "Quốc", "Khánh", "Thị Thu", "Hữu"]  # fmt: skip
GIVENS = ["An", "Anh", "Bình", "Châu", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hân", "Hùng",
          "Huy", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "My", "Nam", "Ngân", "Ngọc",
          "Nhi", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Trang", "Trí", "Tú",
          "Uyên", "Vy", "Yến"]  # fmt: skip


def names(count: int) -> list[str]:
    rng = random.Random(2024)
    return [f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}" for _ in range(count)]


def median_ms(fn, runs: int = 9) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        name_sort_key.cache_clear()
        vnsort._WORD_CACHE.clear()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    for count in (45, 2000):
        sample = names(count)
        ours = median_ms(lambda s=sample: sorted(s, key=name_sort_key))
        base = median_ms(lambda s=sample: sorted(s))
        print(f"{count:5d} names: Vietnamese order {ours:7.3f} ms   plain sorted() {base:7.3f} ms   "
              f"ratio {ours / base:5.1f}×")


if __name__ == "__main__":
    main()
