"""The synthesis cache key and its store."""

from __future__ import annotations

from trigger.synth import cache


def test_key_depends_on_every_input(tmp_path):
    a, b = tmp_path / "a.v", tmp_path / "b.v"
    a.write_text("module a; endmodule\n")
    b.write_text("module b; endmodule\n")
    base = cache.synthesis_key([a, b], ["a.v", "b.v"], "script", "Yosys 0.23")
    assert base == cache.synthesis_key([a, b], ["a.v", "b.v"], "script", "Yosys 0.23")
    assert base != cache.synthesis_key([a, b], ["a.v", "b.v"], "script2", "Yosys 0.23")
    assert base != cache.synthesis_key([a, b], ["a.v", "b.v"], "script", "Yosys 0.24")
    assert base != cache.synthesis_key([b, a], ["b.v", "a.v"], "script", "Yosys 0.23")
    b.write_text("module b; wire w; endmodule\n")
    assert base != cache.synthesis_key([a, b], ["a.v", "b.v"], "script", "Yosys 0.23")


def test_store_and_load(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIGGER_CACHE_DIR", str(tmp_path / "c"))
    assert cache.load("k") is None
    cache.store("k", {"counts": {"LUT": 1}})
    assert cache.load("k") == {"counts": {"LUT": 1}}
    (tmp_path / "c" / "synth" / "k.json").write_text("{broken")
    assert cache.load("k") is None  # a damaged entry is a miss, not an error
