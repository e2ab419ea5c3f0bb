"""Retrieval over a loaded index: dense, second-embedder and BM25 signals fused, city mentions,
snippets, topics.
"""
