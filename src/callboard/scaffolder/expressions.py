"""``${{ }}`` expressions of v1beta3 templates, rendered by a sandboxed Jinja2 compatible with their Nunjucks.

Template expressions are untrusted (whoever can register a template writes them), so the environment is
Jinja2's ``SandboxedEnvironment``: no attribute access to internals, no imports, no file system. Each
rendering also runs within ``scaffolder.limits`` (output, loop turns, time; see ``budget.py``): templates are
rewritten so that every loop and every output passes a check. A value made of exactly one expression keeps
its type (``${{ parameters.count }}`` stays a number), as in Backstage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from jinja2 import ChainableUndefined, StrictUndefined, Template, Undefined, UndefinedError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from callboard.core.entity import EntityRef, EntityRefError
from callboard.core.errors import InputError
from callboard.core.limits import RenderLimits
from callboard.scaffolder.budget import (
    bounded_lipsum,
    check_binop,
    check_call,
    check_format_widths,
    check_result,
    guard_concat,
    guard_loop,
    guard_output,
    guarded_filter,
    rendering,
)

#: Nunjucks' strict comparisons, outside string literals.
_STRICT = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(!==|===)""")
_BLOCKS = re.compile(r"(\$\{\{.*?\}\}|\{%.*?%\})", re.S)


def nunjucks_operators(text: str) -> str:
    """``===`` and ``!==`` (Nunjucks has them) become Jinja's ``==`` and ``!=`` inside expressions only."""

    def fix(block: re.Match[str]) -> str:
        return _STRICT.sub(lambda m: m.group(1) or m.group(2)[:-1], block.group(0))

    return _BLOCKS.sub(fix, text) if ("===" in text or "!==" in text) else text


SINGLE_EXPRESSION = re.compile(r"^\s*\$\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.S)


def parse_repo_url(value: Any) -> dict[str, str]:
    """``github.com?owner=o&repo=r`` (RepoUrlPicker's value) → ``{host, owner, repo, ...}``."""
    text = str(value)
    parts = urlsplit(text if "//" in text else f"https://{text}")
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if not parts.hostname:
        raise InputError(f"Invalid repo URL {text!r}: it has no host")
    if "repo" not in query:
        raise InputError(f"Invalid repo URL {text!r}: it has no repo (write host?owner=x&repo=y)")
    result = {
        "host": parts.netloc,
        **{k: v for k, v in query.items() if k in ("owner", "repo", "organization", "workspace", "project")},
    }
    return result


def parse_entity_ref(value: Any, options: Mapping[str, str] | None = None) -> dict[str, str]:
    options = options or {}
    try:
        ref = EntityRef.parse(
            str(value),
            default_kind=options.get("defaultKind"),
            default_namespace=options.get("defaultNamespace", "default"),
        )
    except (EntityRefError, TypeError) as error:
        raise InputError(f"Invalid entity ref {value!r}: {error}") from None
    return {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}


def project_slug(value: Any) -> str:
    parsed = parse_repo_url(value)
    return f"{parsed.get('owner') or parsed.get('organization') or parsed.get('workspace', '')}/{parsed['repo']}"


def pick(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def dump(value: Any, indent: int | None = None) -> str:
    """Nunjucks' ``dump``: JSON.stringify."""
    return json.dumps(value, indent=indent, ensure_ascii=False, separators=None if indent else (",", ":"))


class _Undefined(ChainableUndefined):
    """Missing values render as empty strings, and ``a.b.c`` of a missing ``a`` is missing too (Nunjucks).

    Adding a string to a missing value concatenates, as JavaScript does (where it would print "undefined",
    the value is empty here).
    """

    def __add__(self, other: Any) -> Any:
        return "" + str(other) if isinstance(other, str) else super().__add__(other)

    def __radd__(self, other: Any) -> Any:
        return str(other) + "" if isinstance(other, str) else super().__radd__(other)


#: The JavaScript string methods templates call (Nunjucks lets expressions call them).
JS_STRING_METHODS: dict[str, Callable[..., Callable[..., Any]]] = {
    "replaceAll": lambda s: s.replace,
    "toLowerCase": lambda s: s.lower,
    "toUpperCase": lambda s: s.upper,
    "trim": lambda s: s.strip,
    "startsWith": lambda s: s.startswith,
    "endsWith": lambda s: s.endswith,
    "includes": lambda s: lambda part: part in s,
    "indexOf": lambda s: s.find,
    "substring": lambda s: lambda start, end=None: s[start:end],
    "slice": lambda s: lambda start, end=None: s[start:end],
}


class _Guards(NodeTransformer):
    """Rewrites a parsed template so every loop turn and every piece of output is counted by the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - NodeTransformer's method names
        self.generic_visit(node)
        node.iter = _call("__cb_loop", cast(nodes.Expr, node.iter))
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        node.nodes = [_call("__cb_out", child) for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        return _call("__cb_concat", *node.nodes)


def _call(name: str, *args: nodes.Expr) -> nodes.Call:
    return nodes.Call(nodes.Name(name, "load"), list(args), [], None, None)


class _BudgetedTemplate(Template):
    """``render`` runs within a budget (a rendering inside another shares the outer one)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with rendering():
            return super().render(*args, **kwargs)


class NunjucksSandbox(SandboxedEnvironment):
    """``a.b`` reads the key ``b`` of a mapping first, as JavaScript does (``parameters.items`` is the
    parameter named items, not the dict method); strings have the JavaScript methods templates use
    (``name.replaceAll('-', '_')``, ``name.length``); everything else goes through the sandbox's checks,
    and operators, calls and filters that can build large values are checked against the budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    template_class = _BudgetedTemplate

    def compile(
        self, source: Any, name: Any = None, filename: Any = None, raw: Any = False, defer_init: Any = False
    ) -> Any:
        if isinstance(source, str):
            source = self._parse(source, name, filename)
        compile_: Any = super().compile
        return compile_(_Guards().visit(source), name, filename, raw, defer_init)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return check_result(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        check_call(__obj, args, kwargs)
        return check_result(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            check_format_widths(obj)  # the sandbox wraps str.format here, so calls never see the string
        if isinstance(obj, str) and attribute in JS_STRING_METHODS:
            return JS_STRING_METHODS[attribute](obj)
        if isinstance(obj, str | list) and attribute == "length":
            return len(obj)
        return super().getattr(obj, attribute)


def make_environment(
    *,
    variable_start: str = "${{",
    variable_end: str = "}}",
    extra_filters: Mapping[str, Callable[..., Any]] | None = None,
    strict: bool = False,
) -> SandboxedEnvironment:
    env = NunjucksSandbox(
        variable_start_string=variable_start,
        variable_end_string=variable_end,
        undefined=StrictUndefined if strict else _Undefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters.update(
        parseRepoUrl=parse_repo_url,
        parseEntityRef=parse_entity_ref,
        pick=pick,
        projectSlug=project_slug,
        dump=dump,
        jsonify=dump,
    )
    env.filters.update(extra_filters or {})
    env.filters = {name: guarded_filter(name, function) for name, function in env.filters.items()}
    env.globals.update(
        __cb_loop=guard_loop,
        __cb_out=guard_output,
        __cb_concat=guard_concat,
        lipsum=bounded_lipsum(cast(Callable[..., str], env.globals["lipsum"])),
    )
    return env


#: Markers that make a string a template: Nunjucks renders ``{% %}`` blocks and ``{# #}`` comments too.
_TEMPLATE_MARKERS = ("${{", "{%", "{#")


class Renderer:
    """Renders template values (strings, lists, mappings) against a context, each string within the limits."""

    def __init__(
        self, extra_filters: Mapping[str, Callable[..., Any]] | None = None, *, limits: RenderLimits | None = None
    ) -> None:
        self.env = make_environment(extra_filters=extra_filters)
        self.limits = limits

    def render(self, value: Any, context: Mapping[str, Any], *, where: str = "") -> Any:
        if isinstance(value, str):
            return self._render_string(value, context, where)
        if isinstance(value, list):
            return [self.render(item, context, where=f"{where}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, dict):
            return {
                key: self.render(item, context, where=f"{where}.{key}" if where else key) for key, item in value.items()
            }
        return value

    def _render_string(self, text: str, context: Mapping[str, Any], where: str) -> Any:
        if not any(marker in text for marker in _TEMPLATE_MARKERS):
            return text
        text = nunjucks_operators(text)
        try:
            with rendering(self.limits):
                single = SINGLE_EXPRESSION.match(text)
                if single:
                    expression = self.env.compile_expression(single.group("expr").strip(), undefined_to_none=True)
                    result = check_result(expression(**context))
                    return None if isinstance(result, Undefined) else result
                return self.env.from_string(text).render(**context)
        except SecurityError as error:
            raise InputError(f"{where}: the expression is not allowed in templates ({error})") from None
        except UndefinedError as error:
            raise InputError(f"{where}: {error}") from None
        except InputError as error:
            raise InputError(f"{where}: {error.message}") from None
        except TemplateError as error:
            raise InputError(f"{where}: cannot render {text[:200]!r}: {error}") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as error:
            raise InputError(f"{where}: {text[:200]!r} failed: {error}") from None
        except RecursionError:
            raise InputError(f"{where}: the template calls itself without end (recursion)") from None
        except MemoryError:
            raise InputError(f"{where}: the template needs more memory than the server will give it") from None

    def truthy(self, value: Any, context: Mapping[str, Any], *, where: str) -> bool:
        """A step's ``if``: rendered, then judged as JavaScript would judge it."""
        result = self.render(value, context, where=where)
        if isinstance(result, str):
            return result.strip() not in ("", "false", "0", "null", "undefined")
        return bool(result)
