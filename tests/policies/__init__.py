"""One test module per policy kind (``test_<kind>.py``): its golden LP cases (``GOLDEN``, on
the tiny instance of ``tests/test_formulation_golden.py``, which collects them) and its
behaviour."""

SENTENCE = {"sentence": "test policy.", "source": "test"}
