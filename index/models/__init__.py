"""Embedding models: the bundled model's export, embedders behind one interface, their lanes, and
the store of passage vectors.
"""
