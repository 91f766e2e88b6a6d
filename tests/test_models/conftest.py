"""The model tests' shared helpers live beside this file (``model_test_helpers.py``).

Pytest puts the folder of every ``conftest.py`` on ``sys.path`` (its default "prepend"
import mode), so the segmentor and the adversarial tests import the one module by name.
"""
