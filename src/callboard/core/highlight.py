"""Syntax highlighting of definitions and descriptors on the server (no script needed to read them)."""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

#: Beyond this size the text is shown plain: highlighting a huge generated spec would stall the page.
MAX_HIGHLIGHTED = 400_000

_FORMATTER = HtmlFormatter(cssclass="hl", wrapcode=True)


def highlight(text: str, language: str) -> Markup:
    """``text`` as HTML with token classes (styles in /static/highlight.css); escaped plain text if unknown."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = None
    if lexer is None or len(text) > MAX_HIGHLIGHTED:
        return Markup('<div class="hl"><pre><code>{}</code></pre></div>').format(text)
    return Markup(pygments_highlight(text, lexer, _FORMATTER))  # Pygments escapes the text


def stylesheet(light: str = "friendly", dark: str = "github-dark") -> str:
    """Token colours for both themes, keyed on the ``data-theme`` attribute the layout sets."""
    light_rules = HtmlFormatter(style=light).get_style_defs(":root:not([data-theme=dark]) .hl")  # type: ignore[no-untyped-call]
    dark_rules = HtmlFormatter(style=dark).get_style_defs(":root[data-theme=dark] .hl")  # type: ignore[no-untyped-call]
    return f"{light_rules}\n{dark_rules}\n"
