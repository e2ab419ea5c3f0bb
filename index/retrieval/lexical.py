"""Lexical retrieval: BM25 over a Chinese-aware tokenization (jieba), with an English path.

Dense embeddings find paraphrases; BM25 finds the rare exact term a question shares with one
case (`防溺水`, `班主任津贴`, `增值评价`) that an embedding can blur. The two are fused in
`index.retrieval.fusion`.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

_WORD_RE = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# Han characters (CJK unified ideographs, extension A, compatibility ideographs).
HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Question, function and problem-framing words: they say how something is asked ("…困难怎么
# 解决", "有什么办法"), not what it is about, and would match every case that solves anything.
STOPWORDS = frozenset("""
的 了 和 与 及 或 等 是 在 对 把 被 从 向 为 以 于 之 也 都 就 还 又 很 更 最 其 该 这 那
这些 那些 怎么 怎样 如何 什么 哪些 哪个 哪里 多少 为什么 怎么办 怎么样 吗 呢 吧 啊 呀 么
办 做 有 没有 能 会 要 想 让 我 我们 你 你们 他 他们 她 它 自己 一下 一些 可以 应该 需要
如何是好 问题 情况 方面 工作 市 解决 困难 难题 难 办法 措施 做法 经验 举措 方法
a an the of in on at to for from by with and or is are was were be been do does did how what
which who whom why when where can could should would will my our your their this that these
those it its as about into than then there any some
""".split())
_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width) and lower case, so `ＡＰＰ` and `app` are one term."""
    return unicodedata.normalize("NFKC", text).lower()


def written_in_han(text: str) -> bool:
    """Whether a text is mostly Chinese characters (Han) rather than letters of other scripts."""
    han = len(HAN_RE.findall(text))
    letters = sum(1 for char in text if char.isalpha())
    return han > 0 and han * 2 >= letters


def words(text: str) -> list[str]:
    """A text cut into words as jieba reads it (accurate mode, every character kept: the
    words' lengths add up to the text's)."""
    return _jieba().lcut(text)


def word_frequency(word: str) -> int:
    """How often jieba's dictionary counts a word (0 for a word it does not hold)."""
    return int(_jieba().get_FREQ(word) or 0)


def tokenize(text: str) -> list[str]:
    """Terms of a text: jieba's search-mode words for Chinese (`幼儿园` also yields `幼儿`),
    lower-cased words for Latin script and numbers; stopwords and punctuation dropped."""
    terms = []
    for chunk in _jieba().lcut_for_search(normalize_text(text)):
        chunk = chunk.strip()
        if not chunk or chunk in STOPWORDS:
            continue
        if HAN_RE.search(chunk):
            terms.append(chunk)
        else:
            terms.extend(w for w in _WORD_RE.findall(chunk) if w not in STOPWORDS)
    return terms


def bm25_idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    """Okapi BM25's idf of terms found in `df` of `n_docs` documents (never negative)."""
    return np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def bm25_weights(tf: np.ndarray, lengths: np.ndarray, average: float, idf: np.ndarray,
                 k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """The BM25 weight of each (term, document) pair: its count in the document, the
    document's length in terms, the corpus's average length, and the term's idf."""
    norm = k1 * (1 - b + b * lengths / average)
    return tf * (k1 + 1) / (tf + norm) * idf


class BM25Index:
    """Okapi BM25 over documents' terms, as a sparse document × term matrix of term weights."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2,
                 b: float = 0.75) -> None:
        self.vocabulary: dict[str, int] = {}
        # Each document's distinct terms in order of first use, kept so that comparing
        # documents needs no re-tokenizing.
        self.document_terms = [list(dict.fromkeys(terms)) for terms in documents]
        rows, cols, counts = [], [], []
        for row, terms in enumerate(documents):
            frequencies: dict[int, int] = {}
            for term in terms:
                column = self.vocabulary.setdefault(term, len(self.vocabulary))
                frequencies[column] = frequencies.get(column, 0) + 1
            rows.extend([row] * len(frequencies))
            cols.extend(frequencies)
            counts.extend(frequencies.values())
        n_docs = len(documents)
        shape = (n_docs, max(len(self.vocabulary), 1))
        tf = sparse.csr_matrix((np.array(counts, np.float32), (rows, cols)), shape=shape)
        lengths = np.array([len(terms) for terms in documents], np.float32)
        average = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(cols, minlength=shape[1]).astype(np.float32)
        self.idf = bm25_idf(n_docs, df)
        tf = tf.tocoo()
        weights = bm25_weights(tf.data, lengths[tf.row], average, self.idf[tf.col], k1, b)
        self.weights = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=shape)
        self._by_row = self.weights.tocsr()
        self._terms = list(self.vocabulary)
        self.n_docs = n_docs

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> BM25Index:
        return cls([tokenize(text) for text in texts])

    def term_scores(self, terms: Iterable[str]) -> np.ndarray:
        """BM25 score of every document for a bag of known terms."""
        columns = [self.vocabulary[term] for term in terms if term in self.vocabulary]
        if not columns:
            return np.zeros(self.n_docs, np.float32)
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel().astype(np.float32)

    def key_terms(self, row: int, limit: int) -> list[str]:
        """A document's `limit` most characteristic terms (highest BM25 weight in it): the
        "more like this" query for finding documents about the same thing."""
        start, end = self._by_row.indptr[row], self._by_row.indptr[row + 1]
        columns, weights = self._by_row.indices[start:end], self._by_row.data[start:end]
        return [self._terms[int(columns[i])] for i in np.argsort(-weights)[:limit]]
