"""Turning submitted source (text or bytes) into an AST, with every failure reported as a finding.

The text is decoded as UTF-8 and nothing else: a PEP 263 `coding` declaration naming another encoding is
refused even for text input, because the sandbox may load the stored file from bytes, and then the
declaration would turn the validated text into a different program (the `utf-7`/`unicode_escape` trick).
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize

from sandbox.validate.policy import MAX_SOURCE_BYTES
from sandbox.validate.report import Finding

# PEP 263's own expression for a coding declaration (it is honoured on line 1 or 2 only).
_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_UTF8_CODECS = frozenset({"utf-8", "utf-8-sig"})


def parse_source(source: str | bytes) -> tuple[ast.Module | None, list[Finding]]:
    """The module's AST (None when it cannot be built) and the findings met on the way."""
    data, findings = _as_bytes(source)
    if data is None:
        return None, findings
    if len(data) > MAX_SOURCE_BYTES:
        message = (
            f"the source is {len(data)} bytes; the limit is {MAX_SOURCE_BYTES} bytes (keep data out of the "
            "code: pass it as a training table)"
        )
        findings.append(Finding(0, 0, message))
        return None, findings
    findings.extend(_check_coding(data))
    text, decode_findings = _decode_utf8(data)
    findings.extend(decode_findings)
    if text is None:
        return None, findings
    tree, parse_findings = _parse(text)
    findings.extend(parse_findings)
    return tree, findings


def _as_bytes(source: str | bytes) -> tuple[bytes | None, list[Finding]]:
    if isinstance(source, bytes):
        return source, []
    try:
        return source.encode("utf-8"), []
    except UnicodeEncodeError as exc:  # a lone surrogate: the text cannot be stored as UTF-8
        line, col = _position(source, exc.start)
        return None, [Finding(line, col, "the source contains a lone surrogate character; it is not valid Unicode")]


def _check_coding(data: bytes) -> list[Finding]:
    """A finding when the file declares (or its BOM implies) an encoding other than UTF-8."""
    declaration = _find_declaration(data)
    line, col = declaration[1:] if declaration else (1, 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # unknown codec, or a BOM contradicting the declaration
        return [Finding(line, col, f"{exc.msg}: save the file as UTF-8 and remove the declaration")]
    if codecs.lookup(encoding).name in _UTF8_CODECS:
        return []
    declared = declaration[0] if declaration else encoding
    message = f"coding declaration '{declared}' is not allowed: save the file as UTF-8 and remove it"
    return [Finding(line, col, message)]


def _find_declaration(data: bytes) -> tuple[str, int, int] | None:
    """The declared encoding and its (line, col), looking where PEP 263 does (lines 1 and 2)."""
    for number, line in enumerate(data.splitlines()[:2], start=1):
        match = _CODING_RE.match(line)
        if match:
            return match.group(1).decode("ascii", "replace"), number, match.start(1) + 1
    return None


def _decode_utf8(data: bytes) -> tuple[str | None, list[Finding]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        return None, [Finding(line, col, f"the source is not valid UTF-8 (byte 0x{bad}): save the file as UTF-8")]


def _parse(text: str) -> tuple[ast.Module | None, list[Finding]]:
    if "\0" in text:  # the parser refuses it without a position (ValueError or SyntaxError by version)
        line, col = _position(text, text.find("\0"))
        return None, [Finding(line, col, "the source contains a null byte: remove it")]
    try:
        return ast.parse(text, filename="<model>", mode="exec"), []
    except SyntaxError as exc:
        return None, [Finding(exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")]
    except RecursionError:
        message = "the source is nested too deeply to check: split deep expressions into smaller statements"
    except MemoryError:  # CPython's parser also reports its own stack overflow as a bare MemoryError
        message = (
            "the source is nested too deeply or needs too much memory to check: split deep expressions into "
            "smaller statements and keep data out of the code"
        )
    return None, [Finding(1, 1, message)]


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, col) of a character index."""
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col
