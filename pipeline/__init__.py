"""Accessible multilingual content pipeline.

Source pages → gettext catalogs → translations → readability → rendered site →
accessibility gate → published site. Each stage lives in its own module; see
``build.py`` for the order they run in.
"""

__version__ = "0.1.0"
