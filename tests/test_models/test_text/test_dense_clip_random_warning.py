"""A guidance CLIP without weights says so wherever it is built (tools/train.py included)."""
from mmseg_semivl.models.text import dense_clip


def test_random_guidance_clip_warns(monkeypatch, tiny_clip_cfg, tiny_clip_checkpoint):
    said = []
    monkeypatch.setattr(dense_clip, 'print_log', lambda msg, **kw: said.append(msg))
    dense_clip.DenseCLIPZeroShot('semivl-tiny', None, {'a': ['a'], 'b': ['b']}, img_size=64,
                                 model_cfg=tiny_clip_cfg)
    assert len(said) == 1 and 'RANDOMLY INITIALISED' in said[0]
    dense_clip.DenseCLIPZeroShot('semivl-tiny', tiny_clip_checkpoint, {'a': ['a'], 'b': ['b']},
                                 img_size=64, model_cfg=tiny_clip_cfg)
    assert len(said) == 1  # real (here: saved) weights: no warning
