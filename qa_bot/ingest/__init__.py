"""Getting articles in: files, pasted text, URLs and JSONL become validated Article values, then chunks."""
