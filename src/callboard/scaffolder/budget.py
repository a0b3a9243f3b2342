"""What one rendering of a template expression or skeleton file may cost, and the checks that hold it there.

Backstage renders templates in a V8 isolate with a memory cap and a timeout. Here the sandboxed Jinja2
environment counts as it goes: every loop turn (loops are rewritten to pass through :func:`guard_loop`),
every piece of output, and every call, operator and filter that could build a large value is checked before
it builds it. A rendering that goes past a limit stops with an InputError naming the setting.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any

from callboard.core.errors import InputError
from callboard.core.limits import RenderLimits

#: Largest exponent ``**`` computes for integers; ``10 ** 10 ** 10`` would run for ever.
MAX_EXPONENT = 10_000
#: Paragraphs ``lipsum()`` writes at most.
MAX_LIPSUM = 100

_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\d+)(?:\.(\d+))?|\{[^{}]*?:[^{}]*?(\d+)[^{}]*\}")


class LimitExceeded(InputError):
    """A rendering went past one of ``scaffolder.limits``."""


@dataclass
class Budget:
    """The counters of one rendering (one value, one step input, one skeleton file)."""

    limits: RenderLimits
    started: float = field(default_factory=time.monotonic)
    output: int = 0
    turns: int = 0

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.limits.render_seconds:
            raise LimitExceeded(
                f"the template took longer than {self.limits.render_seconds:g} s to render "
                "(scaffolder.limits.renderSeconds)"
            )

    def check_size(self, size: int) -> None:
        if size > self.limits.output_bytes:
            raise LimitExceeded(
                f"the template would produce a value of {size} characters; at most {self.limits.output_bytes} "
                "are allowed (scaffolder.limits.outputBytes)"
            )

    def produced(self, size: int) -> None:
        self.output += size
        if self.output > self.limits.output_bytes:
            raise LimitExceeded(
                f"the template produced more than {self.limits.output_bytes} characters (scaffolder.limits.outputBytes)"
            )

    def turn(self) -> None:
        self.turns += 1
        if self.turns > self.limits.loop_iterations:
            raise LimitExceeded(
                f"the template's loops ran more than {self.limits.loop_iterations} times "
                "(scaffolder.limits.loopIterations)"
            )
        if not self.turns & 0x3FF:
            self.check_time()


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("callboard_render_budget", default=None)
_limits_in_force: contextvars.ContextVar[RenderLimits | None] = contextvars.ContextVar(
    "callboard_render_limits", default=None
)


def limits_in_force() -> RenderLimits:
    """The limits a template run set for the renderings it makes (skeleton files included), else defaults."""
    return _limits_in_force.get() or RenderLimits()


@contextlib.contextmanager
def running_with(limits: RenderLimits) -> Iterator[None]:
    """Make ``limits`` the ones renderings use while a template runs (actions render skeleton files)."""
    token = _limits_in_force.set(limits)
    try:
        yield
    finally:
        _limits_in_force.reset(token)


@contextlib.contextmanager
def rendering(limits: RenderLimits | None = None) -> Iterator[Budget]:
    """A fresh budget for one rendering; a rendering inside another (an include) shares the outer one."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(limits or limits_in_force())
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def current() -> Budget:
    return _current.get() or Budget(limits_in_force())


def size_of(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def check_result(value: Any) -> Any:
    current().check_size(size_of(value))
    return value


# -- the hooks the rewritten templates call -------------------------------------------------------------------


def guard_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = current()
    for item in iterable:
        budget.turn()
        yield item


def guard_output(value: Any) -> Any:
    budget = current()
    budget.produced(len(value) if isinstance(value, str) else len(str(value)))
    return value


def guard_concat(*parts: Any) -> str:
    texts = [str(part) for part in parts]
    current().check_size(sum(len(text) for text in texts))
    return "".join(texts)


# -- operators, calls and filters that build values ------------------------------------------------------------


def check_binop(operator: str, left: Any, right: Any) -> None:
    budget = current()
    budget.check_time()
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                budget.check_size(len(sequence) * max(count, 0))
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > MAX_EXPONENT:
            raise LimitExceeded(f"{left} ** {right} is too large to compute (exponents up to {MAX_EXPONENT})")
    elif operator == "+":
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            budget.check_size(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        check_format_widths(left)


def check_format_widths(text: str) -> None:
    budget = current()
    for match in _FORMAT_WIDTH.finditer(text):
        for width in match.groups():
            if width is not None:
                budget.check_size(int(width) if len(width) < 12 else budget.limits.output_bytes + 1)


#: Text methods that take a width (or build by repetition), with where the width is among the arguments.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


def check_call(function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    budget = current()
    budget.check_time()
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if isinstance(owner, str):
        if name in _WIDTH_METHODS and args and isinstance(args[0], int):
            budget.check_size(args[0])
        elif name == "expandtabs":
            size = args[0] if args and isinstance(args[0], int) else 8
            budget.check_size(len(owner) + owner.count("\t") * max(size, 0))
        elif name == "replace" and len(args) >= 2:
            check_replace(owner, args[0], args[1])
        elif name == "join" and args:
            check_join(args[0], len(owner))
        elif name in ("format", "format_map"):
            check_format_widths(owner)


def check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        current().check_size(len(text) + count * max(len(new) - len(old), 0))


def check_join(items: Any, separator: int) -> None:
    if isinstance(items, Sized) and isinstance(items, list | tuple):
        total = sum(len(item) if isinstance(item, str) else 20 for item in items)
        current().check_size(total + separator * max(len(items) - 1, 0))


def _first_int(args: tuple[Any, ...], kwargs: Mapping[str, Any], position: int, name: str) -> int | None:
    value = kwargs.get(name, args[position] if len(args) > position else None)
    return value if isinstance(value, int) else None


def check_filter(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """``args`` are the filter's arguments, the filtered value first."""
    budget = current()
    budget.check_time()
    value = args[0] if args else None
    if name == "center":
        width = _first_int(args, kwargs, 1, "width")
        budget.check_size(width or 0)
    elif name in ("indent", "wordwrap", "truncate"):
        width = _first_int(args, kwargs, 1, "width" if name != "truncate" else "length") or 0
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        budget.check_size(width * lines if name == "indent" else width)
    elif name == "format" and isinstance(value, str):
        check_format_widths(value)
    elif name == "replace" and len(args) >= 3:
        check_replace(value, args[1], args[2])
    elif name == "join":
        separator = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        check_join(list(value) if isinstance(value, list | tuple) else [], len(separator))


def guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its arguments checked first and its result after; Jinja's pass-context marks kept."""
    passes = getattr(function, "jinja_pass_arg", None)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        checked = args[1:] if passes is not None else args
        check_filter(name, checked, kwargs)
        return check_result(function(*args, **kwargs))

    guarded.__name__ = getattr(function, "__name__", name)
    guarded.__doc__ = function.__doc__
    if passes is not None:
        guarded.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return guarded


def bounded_lipsum(lipsum: Callable[..., str]) -> Callable[..., str]:
    def generate(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if not isinstance(n, int) or not isinstance(min, int) or not isinstance(max, int):
            raise InputError("lipsum(n, html, min, max) takes whole numbers")
        if n > MAX_LIPSUM or max > 1000 or min > 1000:
            raise LimitExceeded(f"lipsum() writes at most {MAX_LIPSUM} paragraphs of at most 1000 words")
        text = lipsum(n, html, min, max)
        current().check_size(len(text))
        return text

    return generate
