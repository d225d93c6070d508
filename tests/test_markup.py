"""markup: the shortcuts the renderer takes give markdown-it's own HTML, byte for byte."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

from pipeline.text.markup import _render_inline, translated_children, translated_html
from pipeline.text.messages import Messages
from pipeline.text.pages import markdown


def source_children(markdown_text: str) -> list[Token]:
    tokens = markdown(True).parse(markdown_text)
    return next(t for t in tokens if t.type == "inline").children or []


SOURCES = ["Plain text.", "See [our team](/team/) or [call](tel:123 \"Call us\").",
           "![A nurse](/img/nurse.png \"Nurse\") and ![x](javascript:x)"]
# Text that is mostly plain, with now and then a character that may start Markdown.
TEXT = st.text(st.one_of(st.sampled_from("abc XYZ éü 中文 عربي.,;'?\"()/|"),
                         st.characters(codec="utf-8")), max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=TEXT, source=st.sampled_from(SOURCES))
@example(text=" leading and trailing ", source=SOURCES[0])
@example(text="line\r\nbreak", source=SOURCES[0])
@example(text="nul\x00char \u202e bidi", source=SOURCES[0])
@example(text="a & b < c > d \"q\"", source=SOURCES[0])
@example(text="", source=SOURCES[1])
def test_translated_html_is_markdown_its_rendering(text: str, source: str) -> None:
    """The plain-text shortcut (no markdown-it parse) gives the same HTML as the parse."""
    children = source_children(source)
    messages = Messages()
    full = _render_inline(translated_children(text, children, False, messages))
    assert translated_html(text, children, False, messages) == full
