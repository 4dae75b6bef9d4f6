"""Finding passages: BM25 over FTS5, dense vectors from Chroma, their fusion, and the LangChain adapter."""
