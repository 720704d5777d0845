"""A user's repository: each model's golden vectors are checked by plain `pytest` (trigger's pytest plugin)."""


def test_tiny_tagger_is_bit_exact(trigger_golden):
    result = trigger_golden("models/tiny_prj")
    assert result.n_vectors == 50
