"""The fitting and tuning scripts (python -m eval.abstention, eval.rerank, eval.tune) as a user runs them."""

from __future__ import annotations


def test_a_missing_index_is_said_in_one_line_with_status_2(tmp_path, capsys) -> None:
    from eval import abstention, rerank, tune

    missing = tmp_path / "no-index"
    for name, module, extra in (("abstention", abstention, []), ("rerank", rerank, []), ("tune", tune, ["--grid", "rerank_depth=10"])):
        argv = ["--index", str(missing), "--collections", str(tmp_path), *extra]
        assert tune.said(f"python -m eval.{name}", lambda m=module, a=argv: m.main(a)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"python -m eval.{name}: there is no index at {missing}" in err
