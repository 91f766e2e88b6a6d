"""Config rewrites of the training data that follow from the model's settings."""
from __future__ import annotations

from mmengine.config import Config


def drop_unlabeled_stream(cfg: Config) -> bool:
    """Train on the labeled stream alone when no loss reads unlabeled images.

    With ``model.use_consistency=False`` (the supervised-only baseline) the two-stream
    loader would still load, augment and pre-process one unlabeled image per labeled
    one. This keeps the labeled dataset and its share of the batch: a batch of
    ``B_l + B_u`` under ``MultiSourceSampler(source_ratio=(r_l, r_u))`` becomes
    ``B_l = B * r_l / (r_l + r_u)`` labeled images from an ``InfiniteSampler``.

    Args:
        cfg (Config): A training config; edited in place.

    Returns:
        bool: True if the loader was rewritten.
    """
    model = cfg.get('model', {})
    loader = cfg.get('train_dataloader')
    if model.get('use_consistency', True) or loader is None:
        return False
    dataset, sampler = loader.get('dataset', {}), loader.get('sampler', {})
    if dataset.get('type') != 'ConcatDataset' or 'MultiSource' not in str(sampler.get('type')):
        return False
    ratio = sampler.get('source_ratio', (1, 1))
    labeled_batch = max(1, loader.batch_size * ratio[0] // sum(ratio))
    loader.batch_size = labeled_batch
    loader.sampler = dict(type='InfiniteSampler', shuffle=True)
    loader.dataset = dataset.datasets[0]
    model.guidance = None  # no unlabeled image to guide
    return True
