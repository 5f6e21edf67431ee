"""The bundled model through ONNX Runtime: exported from its own weights on this machine (fp32, or int8 by
dynamic quantisation), cached by model checksum and backend, and run with `tokenizers` and the mean pooling and
normalisation sentence-transformers applies, so the vectors are the model's own without torch on the query path.

    python -m index.onnx_encoder      export every ONNX backend now (`make install` runs it)
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.cores import usable_cores
from index.embed import INT8_RECIPE, MODEL_NAME, EmbeddingError, Encoded, bundled_model_path, sentence_means, unit

ONNX_BACKENDS = ("onnx", "onnx-int8")
# Changes whenever a backend's export recipe below changes, so that a cached file of an older recipe is never used
# (the fp32 export is still the first recipe's; int8's second keeps the most sensitive MatMuls in fp32).
RECIPES = {"onnx": "1", "onnx-int8": INT8_RECIPE}
# sentence_bert_config.json of the bundled model: sentence-transformers truncates at 256 tokens (tokenizer.json
# says 128; the model's own setting wins there, and must here too).
MAX_TOKENS = 256
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Short texts (queries) run in forward passes of at most this many, sorted by length: per query, 32 at once took
# 10.4 ms (fp32) and 3.7 ms (int8) on a busy 2-core machine, 8 at a time 7.8 and 3.2 ms.
QUERY_BATCH = 8
# The first layer's two output projections (attention output and feed-forward output): quantised alone, each cost
# 0.0006-0.0013 of cosine with fp32, the most of any MatMul; kept in fp32 they take 7 % of the weights' arithmetic.
SENSITIVE = re.compile(r"/layer\.0/(attention/)?output/dense/MatMul$")


def model_checksum(model_dir: Path) -> str:
    """sha256 of the weights file: a changed model gets a new export, whatever its version number says."""
    with (model_dir / "model.safetensors").open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def cache_dirs(model_dir: Path, near: Path | None) -> list[Path]:
    """Where an export may live: beside the model, else beside the index (`near`)."""
    dirs = [model_dir.parent / "onnx"]
    if near is not None:
        dirs.append(Path(near).absolute().parent / ".cited-onnx")
    return dirs


def exported_model(backend: str, model_dir: Path, near: Path | None = None) -> Path:
    """The ONNX file of `backend` for the model in `model_dir`, exported the first time it is asked for."""
    name = f"{model_checksum(model_dir)[:16]}-r{RECIPES[backend]}-{backend}.onnx"
    places = cache_dirs(model_dir, near)
    for folder in places:
        if (folder / name).is_file():
            return folder / name
    problems = []
    for folder in places:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return _export(backend, model_dir, folder / name)
        except PermissionError as exc:
            problems.append(f"{folder} ({exc.strerror})")
    raise EmbeddingError(f"the ONNX model could not be written to {' or '.join(problems)}; set CITED_BACKEND=torch")


def _export(backend: str, model_dir: Path, target: Path) -> Path:
    """Write `target` under a temporary name and rename it: a half-written export is never found by that name."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".onnx.part", dir=target.parent)
    os.close(fd)
    try:
        if backend == "onnx":
            _export_fp32(model_dir, Path(temp))
        else:
            fp32 = exported_model("onnx", model_dir, target.parent)
            _quantise(fp32, Path(temp))
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return target


def _export_fp32(model_dir: Path, target: Path) -> None:
    """torch.onnx export of the transformer, giving token embeddings; pooling is done in numpy (the build needs
    the token vectors for its sentence vectors anyway)."""
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses; SDPA's export it does not.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    with torch.no_grad():
        torch.onnx.export(
            TokenEmbeddings(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(target), input_names=list(INPUTS),
            output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )


def _quantise(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls, per channel (per tensor, cosine with the fp32 vectors fell
    to 0.96 on average). Left in fp32: the embedding tables (an int8 lookup saves file size, not time) and the
    MatMuls of `SENSITIVE`, which a sweep quantising one MatMul at a time found to cost the most (README, Performance)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    keep = [node.name for node in graph.node if node.op_type == "MatMul" and SENSITIVE.search(node.name)]
    quantize_dynamic(
        str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep,
    )


class OnnxEmbedder:
    """all-MiniLM-L6-v2 through ONNX Runtime; the same vectors as SentenceTransformerEmbedder (fp32: cosine 1.0000),
    or their int8 approximation.

    ONNX Runtime fixes a session's threads when it is made, so `set_threads` picks among sessions of the one
    file, made when first asked for (each holds its own copy of the weights: 23 MB int8, 90 MB fp32)."""

    name = MODEL_NAME
    dimension = 384

    def __init__(self, backend: str = "onnx", *, near: Path | None = None) -> None:
        if backend not in ONNX_BACKENDS:
            raise EmbeddingError(f"unknown ONNX backend '{backend}'; choose {' or '.join(ONNX_BACKENDS)}")
        self.backend = backend
        self.near = near
        self.threads = usable_cores()
        self._sessions: dict[int, Any] = {}
        self._tokenizer: Any = None
        self._path = Path()  # the export, found or made by warm_up
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._tokenizer is not None:
                return
            from tokenizers import Tokenizer

            model_dir = Path(bundled_model_path())
            self._path = exported_model(self.backend, model_dir, self.near)
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.no_padding()
            self._session(self.threads)
            self._tokenizer = tokenizer

    def set_threads(self, threads: int) -> None:
        self.threads = threads or usable_cores()

    def _session(self, threads: int) -> Any:
        session = self._sessions.get(threads)
        if session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Spinning threads keep a core busy between runs; on a shared machine that core is someone's request.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                session = ort.InferenceSession(str(self._path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 -- onnxruntime raises its own types; a damaged cache file is the news
                raise EmbeddingError(f"the ONNX model {self._path} cannot be loaded ({exc}); delete it to export it again") from None
            self._sessions[threads] = session
        return session

    def _tokens(self, texts: Sequence[str]) -> list[Any]:
        if self._tokenizer is None:
            self.warm_up()
        return self._tokenizer.encode_batch(list(texts), add_special_tokens=True)

    def _run(self, encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Token embeddings (batch, tokens, dim) and the attention mask of one padded batch."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        with self._lock:
            session = self._session(self.threads)
        out = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        return out, mask

    def _batches(self, encodings: Sequence[Any], batch_size: int) -> list[list[int]]:
        """Row numbers in batches of similar length (longest first), so that little of a batch is padding."""
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        return [order[at : at + batch_size] for at in range(0, len(order), max(1, batch_size))]

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokens(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in self._batches(encodings, min(batch_size, QUERY_BATCH)):
            tokens, mask = self._run([encodings[i] for i in rows])
            vectors[rows] = mean_pool(tokens, mask)
        return unit(vectors)

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded:
        """As SentenceTransformerEmbedder.encode_with_sentences: sentence vectors are means of their token vectors."""
        encodings = self._tokens(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        per_text: list[np.ndarray] = [np.zeros((0, self.dimension), np.float32)] * len(texts)
        for rows in self._batches(encodings, batch_size):
            tokens, mask = self._run([encodings[i] for i in rows])
            vectors[rows] = mean_pool(tokens, mask)
            for at, i in enumerate(rows):
                count = len(encodings[i].ids)
                per_text[i] = sentence_means(tokens[at, :count], encodings[i].offsets, bodies[i])
        return Encoded(unit(vectors), per_text)

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' Pooling(mean): the mean of the real tokens' vectors."""
    weights = mask[..., None].astype(np.float32)
    return (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def main(argv: Sequence[str]) -> int:
    """Export every ONNX backend of the bundled model now, so that no server or build waits for it."""
    model_dir = Path(bundled_model_path())
    for backend in ONNX_BACKENDS:
        print(f"{backend}: {exported_model(backend, model_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
