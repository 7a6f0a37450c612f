"""Shared building blocks that know no domain: the error every rule raises, sanitised
Markdown, the CSV formula guard. The bottom layer: it imports no app of this project."""
