"""News features built on the answering pieces: the story's timeline, who said what, each outlet's account."""
