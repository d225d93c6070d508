"""What the stages share about content: pages, Markdown, links, languages,
translations, measuring."""
