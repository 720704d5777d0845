from trigger.cache_root import cache_dir


def test_environment_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIGGER_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "c"


def test_default_location_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("TRIGGER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "trigger"


def test_synthesis_and_data_caches_share_the_root(monkeypatch, tmp_path):
    from trigger.data import store
    from trigger.synth import cache

    monkeypatch.setenv("TRIGGER_CACHE_DIR", str(tmp_path))
    assert cache._entry("k").parent.parent == tmp_path
    assert store.cache_dir is cache.cache_dir is cache_dir
