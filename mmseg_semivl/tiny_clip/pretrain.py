"""Contrastive pre-training of a tiny open_clip CLIP on generated captioned scenes.

The recipe is open_clip's (``open_clip.CLIP`` + ``ClipLoss``, AdamW, warm-up + cosine,
learnable logit scale, no weight decay on gains, biases and the logit scale), shrunk to
what two CPU cores do in a few minutes. The token embedding is excluded from weight
decay as well, so that the rows of words no caption uses stay exactly at their seeded
initialisation and need not be shipped (:mod:`.weights`).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Mapping, Optional

import numpy as np
import torch
from open_clip.loss import ClipLoss

from ..datasets.synthetic.scenes import caption_scene, render_scene, scene_seed
from ..models.backbones.clip_configs import CLIP_MEAN, CLIP_STD, TINY_SCENES_CLIP_CFG
from ..models.backbones.open_clip_builder import build_tokenizer, instantiate_clip
from .weights import TOKEN_KEY, init_token_embedding


@dataclass
class PretrainConfig:
    """Hyper-parameters of the tiny CLIP pre-training (defaults: the shipped weights).

    Attributes:
        steps (int): Optimiser steps.
        batch_size (int): Image-caption pairs per step (the contrastive negatives).
        lr (float): Peak AdamW learning rate.
        weight_decay (float): AdamW weight decay of the matrices (not of norms, biases,
            the logit scale or the token embedding).
        warmup (int): Linear warm-up steps before the cosine decay.
        image_size (int): Side of the generated pre-training scenes.
        seed (int): Seeds the model initialisation, the token rows and every scene.
    """
    steps: int = 1600
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup: int = 100
    image_size: int = 64
    seed: int = 0


def scene_batch(seed: int, start: int, batch_size: int, image_size: int,
                stream: str = 'pretrain') -> tuple:
    """Images and captions of scenes ``start .. start + batch_size - 1``.

    Returns:
        tuple: (B, 3, S, S) float32 images normalised like CLIP, and B captions.
    """
    images, captions = [], []
    for index in range(start, start + batch_size):
        rng = scene_seed(seed, index, stream)
        scene = render_scene(rng, size=image_size)
        image = scene.image
        if rng.random() < 0.5:
            image = image[:, ::-1]  # captions say nothing about left and right
        images.append(image)
        captions.append(caption_scene(scene, rng))
    return normalise(np.stack(images)), captions


def normalise(images: np.ndarray) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 with CLIP's mean and std."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().permute(0, 3, 1, 2)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def _param_groups(model: torch.nn.Module, weight_decay: float) -> List[dict]:
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        # open_clip's exclusion rule, plus the token embedding (see module docstring).
        excluded = (param.ndim < 2 or 'ln' in name or 'bias' in name or 'logit_scale' in name
                    or name == TOKEN_KEY)
        (no_decay if excluded else decay).append(param)
    return [dict(params=no_decay, weight_decay=0.0), dict(params=decay, weight_decay=weight_decay)]


def build_tiny_clip(model_cfg: Mapping = TINY_SCENES_CLIP_CFG, seed: int = 0) -> torch.nn.Module:
    """A randomly initialised open_clip CLIP with the seeded token embedding."""
    torch.manual_seed(seed)
    model = instantiate_clip('semivl-tiny-scenes', model_cfg)
    with torch.no_grad():
        model.token_embedding.weight.copy_(
            init_token_embedding(*model.token_embedding.weight.shape, seed=seed))
    return model


def pretrain(cfg: PretrainConfig,
             model_cfg: Mapping = TINY_SCENES_CLIP_CFG,
             log: Optional[Callable[[str], None]] = print,
             log_interval: int = 100) -> Dict:
    """Train a tiny CLIP; returns ``{'model', 'history', 'seconds'}``.

    Deterministic for a given config and thread count: scenes are pure functions of
    ``(seed, index)`` and the model is seeded.
    """
    model = build_tiny_clip(model_cfg, cfg.seed).train()
    tokenizer = build_tokenizer('semivl-tiny-scenes', model_cfg)
    optimizer = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr,
                                  betas=(0.9, 0.98), eps=1e-6)

    def lr_at(step: int) -> float:
        if step < cfg.warmup:
            return cfg.lr * (step + 1) / cfg.warmup
        progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.5 * cfg.lr * (1 + math.cos(math.pi * progress))

    loss_fn = ClipLoss()
    history = []
    start = time.time()
    for step in range(cfg.steps):
        for group in optimizer.param_groups:
            group['lr'] = lr_at(step)
        images, captions = scene_batch(cfg.seed, step * cfg.batch_size, cfg.batch_size,
                                       cfg.image_size)
        image_features, text_features, logit_scale = model(images, tokenizer(captions))[:3]
        loss = loss_fn(image_features, text_features, logit_scale)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():  # open_clip clamps the scale at 100
            model.logit_scale.clamp_(0, math.log(100))
        if (step + 1) % log_interval == 0 or step + 1 == cfg.steps:
            entry = dict(step=step + 1, loss=round(loss.item(), 4),
                         logit_scale=round(model.logit_scale.exp().item(), 2),
                         seconds=round(time.time() - start, 1))
            history.append(entry)
            if log is not None:
                log(f"step {entry['step']}/{cfg.steps}  loss {entry['loss']:.4f}  "
                    f"logit scale {entry['logit_scale']:.1f}  {entry['seconds']:.0f} s")
    return dict(model=model.eval(), history=history, seconds=round(time.time() - start, 1),
                config=asdict(cfg))
