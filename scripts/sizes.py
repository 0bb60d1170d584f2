"""Fail when a module of cco_enrich is over 400 lines or a function over 50 lines."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


def oversized(root: Path) -> list[str]:
    """Every module and function of `root` that is longer than the limits."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            found.append(f"{path}: {lines} lines (max {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path}:{node.lineno} {node.name}(): {length} lines")
    return found


if __name__ == "__main__":
    problems = oversized(Path(sys.argv[1] if len(sys.argv) > 1 else "cco_enrich"))
    print("\n".join(problems) or "sizes: every module and function is within the limits")
    sys.exit(1 if problems else 0)
