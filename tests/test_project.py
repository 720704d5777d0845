import pytest

from trigger.errors import InputError
from trigger.project import staged


def test_success_moves_staging_into_place(tmp_path):
    final = tmp_path / "p"
    with staged(final, force=False) as work:
        (work / "hls").mkdir()
        (work / "hls" / "hls4ml_config.yml").write_text(f"OutputDir: {work}/hls\n")
    assert (final / "hls" / "hls4ml_config.yml").read_text() == f"OutputDir: {final.resolve()}/hls\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_error_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with staged(tmp_path / "p", force=False) as work:
            (work / "half").write_text("x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_error_with_force_keeps_the_old_project(tmp_path):
    final = tmp_path / "p"
    final.mkdir()
    (final / "old").write_text("x")
    with pytest.raises(RuntimeError):
        with staged(final, force=True):
            raise RuntimeError("boom")
    assert [p.name for p in final.iterdir()] == ["old"]


def test_file_in_the_way_is_input_error(tmp_path):
    (tmp_path / "p").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        with staged(tmp_path / "p", force=True):
            pass
