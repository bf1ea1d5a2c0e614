"""Write the dev set with its questions converted mechanically to Traditional characters (OpenCC s2t).

    .venv/bin/python -m evals.traditional [SOURCE] [TARGET]

Only `question` changes; evidence and key points stay as the documents write them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SOURCE = Path("evals/datasets/dev.jsonl")
TARGET = Path("evals/datasets/dev_traditional.jsonl")


def convert_lines(lines: list[str]) -> list[str]:
    import opencc

    s2t = opencc.OpenCC("s2t")
    out = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        row["question"] = s2t.convert(row["question"])
        row["style"] = "traditional"
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else TARGET
    dst.write_text("\n".join(convert_lines(src.read_text("utf-8").splitlines())) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
