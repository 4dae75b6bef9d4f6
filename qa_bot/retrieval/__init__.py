"""Finding passages for a question.

``dense`` (Chroma nearest neighbours) and ``lexical`` (BM25 over FTS5) each rank chunks within the
same ``filters``; ``fusion`` combines the rankings, boosts what the question names and collapses
syndicated copies; ``retriever.HybridRetriever`` runs that pipeline; ``langchain`` adapts it to LangChain.
"""
