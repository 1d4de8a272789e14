"""The region language: which pixels a layer applies to, as a soft mask expression.

Grammar (``~`` binds tightest, then ``&`` and ``-``, then ``|``; all left-associative)::

    region  := term ('|' term)*
    term    := unary (('&' | '-') unary)*
    unary   := '~' unary | atom
    atom    := NAME | 'obj' ':' INT | 'all' | 'frame' | 'none'
             | FUNC '(' region ',' NUMBER ')' | '(' region ')'
    FUNC    := 'grow' | 'shrink' | 'feather'

Meaning, for soft masks ``a`` and ``b`` in 0..1:

- ``NAME``: a named mask from the preset (``subject``); ``obj:N``: object N's mask;
- ``all``: every object (the maximum of all object masks); ``frame``: the whole
  frame (1 everywhere); ``none``: nothing (0 everywhere);
- ``~a`` = 1 − a; ``a | b`` = max(a, b); ``a & b`` = min(a, b); ``a - b`` = a·(1 − b);
- ``grow(a, px)``, ``shrink(a, px)``, ``feather(a, px)``: the morphology of
  :mod:`vfx.masks` (disc dilation / erosion, Gaussian edge softening).

The parser is a hand-written tokenizer and recursive-descent parser; nothing is
ever evaluated as Python. Errors are one-line :class:`VfxError` messages that
quote the expression and give the column (1-based) of the offending character.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from vfx.errors import VfxError
from vfx.masks import feather_mask, grow_mask, shrink_mask
from vfx.safe_yaml import echo

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_TERMS = 256
MAX_PX = 2000.0
FUNCTIONS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "grow": grow_mask,
    "shrink": shrink_mask,
    "feather": feather_mask,
}
_OPERATORS = "~|&-(),:"
_SPACE = " \t\r\n"

Masks = Mapping[str | int, np.ndarray]
Allocator = Callable[[int, tuple[int, int]], np.ndarray]


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class _Name:
    name: str
    column: int


@dataclass(frozen=True)
class _Object:
    obj_id: int
    column: int


@dataclass(frozen=True)
class _Constant:
    keyword: str  # all | frame | none


@dataclass(frozen=True)
class _Not:
    operand: _Node


@dataclass(frozen=True)
class _Binary:
    op: str  # | & -
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Call:
    function: str
    operand: _Node
    px: float


_Node = _Name | _Object | _Constant | _Not | _Binary | _Call


# --------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # name | number | op | end
    text: str
    column: int  # 1-based


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif ch in _OPERATORS:
            tokens.append(_Token("op", ch, i + 1))
            i += 1
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            start = i
            while i < len(text) and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(_Token("name", text[start:i], start + 1))
        elif ch.isascii() and (ch.isdigit() or ch == "."):
            start = i
            while i < len(text) and text[i].isascii() and (text[i].isdigit() or text[i] == "."):
                i += 1
            tokens.append(_Token("number", text[start:i], start + 1))
        else:
            raise _error(text, i + 1, f"unexpected character {echo(ch)}")
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0
        self.atoms = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def fail(self, message: str, token: _Token | None = None) -> VfxError:
        token = token or self.token
        found = "end of input" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.column, f"{message}, found {found}")

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.token
        if token.kind == kind and (text is None or token.text == text):
            self.pos += 1
            return token
        return None

    def expect(self, text: str, what: str) -> None:
        if self.take("op", text) is None:
            raise self.fail(f"expected {what}")

    def parse(self) -> _Node:
        node = self.region()
        if self.token.kind != "end":
            if self.token.text == ")":
                raise self.fail("unbalanced ')'")
            raise self.fail("expected an operator (| & -) or the end")
        return node

    def region(self) -> _Node:
        node = self.term()
        while self.take("op", "|"):
            node = _Binary("|", node, self.term())
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.text in "&-":
            op = self.tokens[self.pos].text
            self.pos += 1
            node = _Binary(op, node, self.unary())
        return node

    def unary(self) -> _Node:
        if self.take("op", "~"):
            self.enter()
            node = _Not(self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels")

    def atom(self) -> _Node:
        token = self.token
        if self.take("op", "("):
            self.enter()
            node = self.region()
            self.expect(")", f"')' to close the '(' at column {token.column}")
            self.depth -= 1
            return node
        if self.take("name") is None:
            raise self.fail("expected a mask name, obj:N, all, ~ or (")
        self.atoms += 1
        if self.atoms > MAX_TERMS:
            raise self.fail(f"more than {MAX_TERMS} masks in one region", token)
        word = token.text
        if word == "obj":
            return self.object_ref(token)
        if word in ("all", "frame", "none"):
            return _Constant(word)
        if self.token.kind == "op" and self.token.text == "(":
            if word not in FUNCTIONS:
                raise self.fail(
                    f"{echo(word)} is not a function (use {', '.join(FUNCTIONS)})", self.token
                )
            return self.call(word)
        if word in FUNCTIONS:
            raise self.fail(f"expected '(' after {word}")
        return _Name(word, token.column)

    def object_ref(self, token: _Token) -> _Node:
        self.expect(":", "':' after obj (write obj:1)")
        number = self.take("number")
        if number is None or not number.text.isdigit() or len(number.text) > 9:
            raise self.fail("expected an object id (a whole number) after 'obj:'", number)
        return _Object(int(number.text), token.column)

    def call(self, function: str) -> _Node:
        open_paren = self.token
        self.expect("(", "'('")
        self.enter()
        operand = self.region()
        self.expect(",", f"',' and a pixel count in {function}(mask, px)")
        negative = self.take("op", "-") is not None
        number = self.take("number")
        if number is None:
            raise self.fail(f"expected a pixel count in {function}(mask, px)")
        try:
            px = float(number.text)
        except ValueError:
            raise self.fail("expected a number", number) from None
        if negative or px > MAX_PX:
            raise self.fail(f"pixel count must be in 0..{MAX_PX:g}", number)
        self.expect(")", f"')' to close the '(' at column {open_paren.column}")
        self.depth -= 1
        return _Call(function, operand, px)


def _error(text: str, column: int, message: str) -> VfxError:
    """One line: the problem, the column, and the expression around it."""
    start = max(0, column - 31)
    shown = _printable(text[start : column + 29])
    shown = ("..." if start > 0 else "") + shown + ("..." if column + 29 < len(text) else "")
    return VfxError(
        f"bad region at column {column}: {message} (in '{shown}'); "
        "regions look like '~subject', 'obj:1 | obj:2' or 'grow(subject, 8)'"
    )


def _printable(text: str) -> str:
    """``text`` with anything but printable ASCII escaped, so messages stay on one line."""
    return "".join(ch if ch.isascii() and ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class Region:
    """A parsed region expression; :meth:`evaluate` turns masks into the layer's alpha."""

    text: str
    root: _Node

    @property
    def names(self) -> frozenset[str]:
        """Named masks the expression refers to."""
        return frozenset(n.name for n in _walk(self.root) if isinstance(n, _Name))

    @property
    def object_ids(self) -> frozenset[int]:
        """Object ids referred to as ``obj:N``."""
        return frozenset(n.obj_id for n in _walk(self.root) if isinstance(n, _Object))

    @property
    def is_frame(self) -> bool:
        """Whether the region is the whole frame (no mask needed)."""
        return isinstance(self.root, _Constant) and self.root.keyword == "frame"

    def evaluate(
        self,
        masks: Masks,
        shape: tuple[int, int] | None = None,
        allocate: Allocator | None = None,
    ) -> np.ndarray:
        """The region's ``[H, W]`` float32 alpha in 0..1; never modifies ``masks``.

        ``masks`` maps names (str) and object ids (int) to ``[H, W]`` float32 masks.
        ``shape`` ``(H, W)`` is needed only when ``masks`` is empty. The result
        may be one of the input arrays itself (for a bare name); treat it as
        read-only. ``allocate(index, shape)`` supplies the evaluation's working
        arrays (the ``index``-th one, ``[H, W]`` float32) so that a renderer can
        reuse them from frame to frame; by default they are new arrays.
        """
        if shape is None:
            if not masks:
                raise VfxError(f"region {echo(self.text)} needs masks, but none were given")
            shape = next(iter(masks.values())).shape[:2]
        return _Evaluator(self.text, masks, shape, allocate).run(self.root)

    def __str__(self) -> str:
        return self.text


def parse_region(text: str) -> Region:
    """Parse a region expression; VfxError pointing at the offending column if it is bad."""
    if not isinstance(text, str):
        raise VfxError(f"a region must be a string such as '~subject', got {echo(text)}")
    if len(text) > MAX_LENGTH:
        raise VfxError(
            f"bad region: {len(text)} characters is longer than the limit of {MAX_LENGTH}"
        )
    if not text.strip():
        raise VfxError("bad region: it is empty; write e.g. 'all', 'subject' or '~obj:1'")
    return _parse_cached(text)


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Region:
    return Region(text, _Parser(text).parse())


class _Evaluator:
    """Evaluates a syntax tree; arrays it made itself are reused in place as scratch."""

    def __init__(
        self, text: str, masks: Masks, shape: tuple[int, int], allocate: Allocator | None
    ) -> None:
        self.text = text
        self.masks = masks
        self.shape = shape
        self.allocate = allocate
        self.allocated = 0
        self.fresh: set[int] = set()  # ids of arrays made here, never the caller's masks

    def run(self, node: _Node) -> np.ndarray:
        if isinstance(node, _Name):
            return self.lookup(node.name, node.column, "mask")
        if isinstance(node, _Object):
            return self.lookup(node.obj_id, node.column, "object")
        if isinstance(node, _Constant):
            result = self.constant(node.keyword)
        elif isinstance(node, _Not):
            operand = self.run(node.operand)
            result = np.subtract(np.float32(1.0), operand, out=self.scratch(operand))
        elif isinstance(node, _Binary):
            left, right = self.run(node.left), self.run(node.right)
            if node.op == "|":
                result = np.maximum(left, right, out=self.scratch(left, right))
            elif node.op == "&":
                result = np.minimum(left, right, out=self.scratch(left, right))
            else:
                keep = np.subtract(np.float32(1.0), right, out=self.scratch(right))
                result = np.multiply(left, keep, out=keep)
        else:
            result = FUNCTIONS[node.function](self.run(node.operand), node.px)
        if not any(result is mask for mask in self.masks.values()):
            self.fresh.add(id(result))
        return result

    def scratch(self, *arrays: np.ndarray) -> np.ndarray:
        """The first of ``arrays`` this evaluation made (free to overwrite), else a new array."""
        mine = next((a for a in arrays if id(a) in self.fresh), None)
        return self.new() if mine is None else mine

    def new(self) -> np.ndarray:
        """A working ``[H, W]`` float32 array (uninitialised)."""
        self.allocated += 1
        if self.allocate is None:
            return np.empty(self.shape, np.float32)
        return self.allocate(self.allocated, self.shape)

    def constant(self, keyword: str) -> np.ndarray:
        if keyword in ("frame", "none"):
            filled = self.new()
            filled.fill(1.0 if keyword == "frame" else 0.0)
            return filled
        objects = [self.lookup(k, 0, "object") for k in self.masks if isinstance(k, int)]
        if not objects:
            raise VfxError(
                f"region {echo(self.text)}: 'all' means every tracked object, but there are no "
                "object masks; use 'frame' for the whole frame"
            )
        if len(objects) == 1:
            return objects[0]
        union = np.maximum(objects[0], objects[1], out=self.new())
        for mask in objects[2:]:
            np.maximum(union, mask, out=union)
        return union

    def lookup(self, key: str | int, column: int, what: str) -> np.ndarray:
        mask = self.masks.get(key)
        if mask is None:
            known = sorted(str(k) if isinstance(k, str) else f"obj:{k}" for k in self.masks)
            name = key if isinstance(key, str) else f"obj:{key}"
            raise VfxError(
                f"region {echo(self.text)}: unknown {what} '{name}' at column {column}; "
                f"available: {', '.join(known) or 'none'}"
            )
        if mask.shape[:2] != tuple(self.shape):
            raise VfxError(
                f"region {echo(self.text)}: mask '{key}' is {mask.shape[1]}x{mask.shape[0]}, "
                f"but the frame is {self.shape[1]}x{self.shape[0]}"
            )
        return mask if mask.dtype == np.float32 else mask.astype(np.float32)


def _walk(node: _Node) -> list[_Node]:
    stack, seen = [node], []
    while stack:
        current = stack.pop()
        seen.append(current)
        if isinstance(current, _Not | _Call):
            stack.append(current.operand)
        elif isinstance(current, _Binary):
            stack.extend((current.left, current.right))
    return seen
