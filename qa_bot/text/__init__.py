"""Text primitives shared by every stage: normalisation, sentences, word tokens, citation markers."""
