"""The ONNX backends: the export is cached and never half-written, an index of another vector family is refused in
one sentence, and (slow) the fp32 export gives torch's vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import onnx_encoder
from index.build import build_index
from index.embed import MODEL_NAME, HashingEmbedder, compatible_backends, embedder_for, vector_family
from index.engine import Engine
from index.load import check_backend
from index.manifest import MANIFEST, IndexFolderError, read_manifest


def _fake_model(folder: Path) -> Path:
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    return folder


def test_an_export_that_fails_half_way_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_model(tmp_path / "model")

    def breaks(model_dir: Path, target: Path) -> None:
        target.write_bytes(b"half an onnx file")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(onnx_encoder, "_export_fp32", breaks)
    with pytest.raises(RuntimeError):
        onnx_encoder.exported_model("onnx", model)
    assert list((tmp_path / "onnx").iterdir()) == []  # no file by the final name, no temporary left


def test_an_export_is_made_once_per_model_and_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_model(tmp_path / "model")
    made: list[str] = []

    def writes(model_dir: Path, target: Path) -> None:
        made.append(target.name)
        target.write_bytes(b"onnx")

    monkeypatch.setattr(onnx_encoder, "_export_fp32", writes)
    monkeypatch.setattr(onnx_encoder, "_quantise", lambda fp32, target: target.write_bytes(fp32.read_bytes() + b" int8"))
    first = onnx_encoder.exported_model("onnx-int8", model)
    assert onnx_encoder.exported_model("onnx-int8", model) == first
    fp32 = onnx_encoder.exported_model("onnx", model)
    assert fp32.read_bytes() == b"onnx"
    assert len(made) == 1 and first.read_bytes() == b"onnx int8"
    (model / "model.safetensors").write_bytes(b"other weights")  # a changed model gets its own export
    assert onnx_encoder.exported_model("onnx", model) != fp32
    assert len(made) == 2


def test_torch_and_fp32_onnx_share_vectors_and_int8_does_not() -> None:
    assert compatible_backends("torch", "onnx") and compatible_backends("onnx", "torch")
    assert not compatible_backends("torch", "onnx-int8") and not compatible_backends("onnx-int8", "onnx")
    assert compatible_backends("onnx-int8", "onnx-int8")


@pytest.fixture()
def int8_index(list_corpus: Path, tmp_path: Path) -> Path:
    """A small index whose manifest says its vectors came from the int8 model."""
    index_dir = tmp_path / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "model": MODEL_NAME, "backend": "onnx-int8", "family": vector_family("onnx-int8")}))
    return index_dir


def test_an_index_of_another_vector_family_is_refused_in_one_sentence(int8_index: Path) -> None:
    with pytest.raises(IndexFolderError) as refused:
        Engine.open(int8_index, model=MODEL_NAME, backend="onnx")  # refused before any model is loaded
    message = str(refused.value)
    assert "onnx-int8" in message and "CITED_BACKEND=onnx-int8" in message and "cited build" in message
    assert "\n" not in message


def test_an_int8_index_of_an_earlier_export_recipe_is_refused_in_one_sentence(int8_index: Path) -> None:
    path = int8_index / MANIFEST
    manifest = json.loads(path.read_text())
    check_backend(int8_index, read_manifest(int8_index), "onnx-int8")  # the current recipe's own index
    del manifest["family"]  # written before families were kept: the first int8 recipe's vectors
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFolderError) as refused:
        check_backend(int8_index, read_manifest(int8_index), "onnx-int8")
    message = str(refused.value)
    assert "earlier onnx-int8 export (int8-r1)" in message and "cited build" in message and "\n" not in message
    assert "CITED_BACKEND" not in message  # no backend reproduces those vectors now


def test_fp32_indexes_from_before_families_stay_searchable(int8_index: Path) -> None:
    path = int8_index / MANIFEST
    manifest = json.loads(path.read_text())
    del manifest["family"]
    for built in ("torch", "onnx"):
        path.write_text(json.dumps({**manifest, "backend": built}))
        for asked in ("torch", "onnx"):
            check_backend(int8_index, read_manifest(int8_index), asked)
        with pytest.raises(IndexFolderError, match="CITED_BACKEND="):
            check_backend(int8_index, read_manifest(int8_index), "onnx-int8")


def _projections(target: Path) -> None:
    """A graph of four MatMuls with constant weights, named as the export names the first two layers' output
    projections and queries."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    names = [f"/bert/encoder/layer.{n}/{part}/MatMul" for n in (0, 1) for part in ("attention/self/query", "output/dense")]
    names.insert(2, "/bert/encoder/layer.0/attention/output/dense/MatMul")
    nodes, weights, flowing = [], [], "x"
    for at, name in enumerate(names):
        weights.append(numpy_helper.from_array(rng.normal(size=(8, 8)).astype(np.float32), f"w{at}"))
        nodes.append(helper.make_node("MatMul", [flowing, f"w{at}"], [f"h{at}"], name=name))
        flowing = f"h{at}"
    graph = helper.make_graph(
        nodes, "projections", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 8])],
        [helper.make_tensor_value_info(flowing, TensorProto.FLOAT, [None, 8])], weights,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(target))


def test_int8_keeps_the_first_layers_output_projections_in_fp32(tmp_path: Path) -> None:
    import onnx

    _projections(tmp_path / "fp32.onnx")
    onnx_encoder._quantise(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    kinds = {node.name: node.op_type for node in onnx.load(str(tmp_path / "int8.onnx")).graph.node}
    assert kinds["/bert/encoder/layer.0/output/dense/MatMul"] == "MatMul"
    assert kinds["/bert/encoder/layer.0/attention/output/dense/MatMul"] == "MatMul"
    quantised = [name for name, kind in kinds.items() if kind == "MatMulInteger"]
    assert sorted(quantised) == ["/bert/encoder/layer.0/attention/self/query/MatMul_quant",
                                 "/bert/encoder/layer.1/attention/self/query/MatMul_quant",
                                 "/bert/encoder/layer.1/output/dense/MatMul_quant"]


def test_a_manifest_from_before_backends_reads_as_torch(list_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text())
    assert manifest["backend"] == "exact"  # the hashing encoder needs no model
    del manifest["backend"]
    path.write_text(json.dumps(manifest))
    assert read_manifest(index_dir).backend == "torch"


@pytest.mark.slow
def test_the_onnx_exports_give_the_models_vectors() -> None:
    texts = ["How long may a database name be?", "Database names must have an alphabetic first character. "
             "They are limited to 63 bytes."]
    bodies = [(0, t) for t in texts]
    torch = embedder_for(MODEL_NAME, "torch").encode_with_sentences(texts, bodies)
    for backend, least in (("onnx", 0.9999), ("onnx-int8", 0.97)):
        found = embedder_for(MODEL_NAME, backend).encode_with_sentences(texts, bodies)
        assert (found.vectors * torch.vectors).sum(axis=1).min() >= least
        for ours, theirs in zip(found.sentence_vectors, torch.sentence_vectors, strict=True):
            assert ours.shape == theirs.shape
            assert (ours * theirs).sum(axis=1).min() >= least
        alone = embedder_for(MODEL_NAME, backend).encode(texts[:1])
        np.testing.assert_allclose(np.linalg.norm(alone, axis=1), 1.0, rtol=1e-5)
