"""DIDA's labelled instance feature bank (seed 003), kept on the device in buffers.

An *instance* is the mean embedding (the decode head's fused feature, e.g. DAFormer's
256-d map at 1/4 resolution) of one source-image region of one ground-truth class:

* ``instances='class'``: all pixels of class c in image b (one instance per class per
  image, the public code's definition);
* ``instances='component'``: each 4-connected component of class c in image b (the
  ``max_components`` largest ones), found on the device by label propagation with
  pointer jumping (``cc_iterations`` rounds). Slower than 'class' (a few dozen small
  tensor ops per step) and approximate: a component longer than the rounds can reach is
  split into pieces (it is never merged with another one).

The K slots are split among the classes once (``class_slots``); each class's slots are a
ring: a new instance of class c goes to c's next slot, copied there while the slot is
empty and blended in by EMA afterwards, ``f <- m f + (1 - m) e`` (m = 0.999). Slots of
classes absent from a batch are not touched (the public code decays them toward 0).

Everything is fixed-shape tensor arithmetic on the features' device: no ``.item()``, no
boolean indexing, no host copies per step, so the update never synchronises.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

#: ``instances`` values.
INSTANCE_MODES = ('class', 'component')


def balanced_class_slots(num_entries: int, num_classes: int) -> List[int]:
    """Slots per class: K // C each, the K % C remaining ones to the first classes.

    Example: K = 300, C = 19 -> classes 0-14 get 16 slots, classes 15-18 get 15.
    """
    base, extra = divmod(num_entries, num_classes)
    return [base + (1 if c < extra else 0) for c in range(num_classes)]


def connected_components(label: Tensor, iterations: int = 16,
                         ignore_index: int = 255) -> Tensor:
    """Approximate 4-connected components of equal labels, on the device.

    Every pixel starts with its own flat index as id; each round takes the maximum id of
    its same-label 4-neighbours, then jumps to the id its id points at (pointer jumping,
    which roughly doubles the reach per round). The id of a component is the flat index
    of one of its own pixels, so ``label.flatten(1).gather(1, id)`` is its class.

    Args:
        label (Tensor): (B, h, w) long labels.
        iterations (int): Propagation rounds (fixed: no convergence test, which would
            synchronise with the host). Default: 16.
        ignore_index (int): Label without components (their id is their own index).

    Returns:
        Tensor: (B, h, w) long component ids in [0, h * w).
    """
    b, h, w = label.shape
    ids = torch.arange(h * w, device=label.device).view(1, h, w).expand(b, h, w).contiguous()
    valid = label != ignore_index
    pad_label = F.pad(label, (1, 1, 1, 1), value=-1)
    shifts = ((0, 1), (2, 1), (1, 0), (1, 2))  # up, down, left, right in the padded map
    same = [(pad_label[:, dy:dy + h, dx:dx + w] == label) & valid for dy, dx in shifts]
    for _ in range(iterations):
        pad_ids = F.pad(ids, (1, 1, 1, 1), value=-1)
        for (dy, dx), s in zip(shifts, same):
            ids = torch.where(s, torch.maximum(ids, pad_ids[:, dy:dy + h, dx:dx + w]), ids)
        flat = ids.flatten(1)
        ids = torch.maximum(flat, flat.gather(1, flat)).view(b, h, w)
    return ids


def no_autocast(like: Tensor):
    """A context without autocast on ``like``'s device type (the bank stays fp32)."""
    return torch.autocast(device_type=like.device.type, enabled=False)


class InstanceFeatureBank(nn.Module):
    """K instance features with their classes, updated online from the source batch.

    Buffers (saved in checkpoints, restored exactly on resume):

    * ``features`` (K, D) float32: the entries (unit vectors' EMA when ``normalize``);
    * ``labels`` (K,) long: each slot's class (fixed by ``class_slots``);
    * ``filled`` (K,) bool: whether a slot holds an instance yet;
    * ``pointer`` (C,) long: each class's next slot inside its ring;
    * ``num_updates`` () long: update calls so far (a statistic).

    Args:
        num_entries (int): K. Default: 300 (the paper's).
        num_classes (int): C. Default: 19.
        feat_dim (int): D, the embedding width (DAFormer head ``channels``). Default: 256.
        momentum (float): m of ``f <- m f + (1 - m) e``. Default: 0.999.
        class_slots (str | Sequence[int]): ``'balanced'`` (:func:`balanced_class_slots`)
            or C slot counts summing to K. Default: 'balanced'.
        instances (str): ``'class'`` or ``'component'`` (see the module doc).
            Default: 'class'.
        max_components (int): Largest components per class per image ('component').
            Default: 4.
        cc_iterations (int): Propagation rounds ('component'). Default: 16.
        min_pixels (int): Fewest feature-resolution pixels of an instance. Default: 1.
        normalize (bool): L2-normalise instances before storing them and entries before
            the similarity (the similarity is then a cosine, so tp = 0.1 is meaningful).
            Default: True.
        ignore_index (int): Unlabelled value of the ground truth. Default: 255.
    """

    def __init__(self, num_entries: int = 300, num_classes: int = 19, feat_dim: int = 256,
                 momentum: float = 0.999,
                 class_slots: Union[str, Sequence[int]] = 'balanced',
                 instances: str = 'class', max_components: int = 4, cc_iterations: int = 16,
                 min_pixels: int = 1, normalize: bool = True, ignore_index: int = 255) -> None:
        super().__init__()
        if instances not in INSTANCE_MODES:
            raise ValueError(f'instances must be one of {INSTANCE_MODES}, got {instances!r}')
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must lie in [0, 1), got {momentum}')
        if class_slots == 'balanced':
            slots = balanced_class_slots(num_entries, num_classes)
        elif isinstance(class_slots, str):
            raise ValueError(f"class_slots must be 'balanced' or {num_classes} counts, got "
                             f'{class_slots!r}')
        else:
            slots = [int(s) for s in class_slots]
        if len(slots) != num_classes or sum(slots) != num_entries or min(slots) < 0:
            raise ValueError(f'class_slots must be {num_classes} non-negative counts summing to '
                             f'num_entries={num_entries}, got {slots}')
        self.num_entries, self.num_classes, self.feat_dim = num_entries, num_classes, feat_dim
        self.momentum = momentum
        self.instances = instances
        self.max_components = max_components if instances == 'component' else 1
        self.cc_iterations = cc_iterations
        self.min_pixels = min_pixels
        self.normalize = normalize
        self.ignore_index = ignore_index
        counts = torch.tensor(slots, dtype=torch.long)
        # Slot layout (constant): class c owns slots start[c] ... start[c] + counts[c] - 1.
        self.register_buffer('slot_counts', counts, persistent=False)
        self.register_buffer('slot_starts', torch.cumsum(counts, 0) - counts, persistent=False)
        self.register_buffer('features', torch.zeros(num_entries, feat_dim))
        self.register_buffer('labels', torch.repeat_interleave(
            torch.arange(num_classes), counts))
        self.register_buffer('filled', torch.zeros(num_entries, dtype=torch.bool))
        self.register_buffer('pointer', torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer('num_updates', torch.zeros((), dtype=torch.long))

    def extra_repr(self) -> str:
        return (f'K={self.num_entries}, C={self.num_classes}, D={self.feat_dim}, '
                f'momentum={self.momentum}, instances={self.instances!r}')

    # ------------------------------------------------------------------ instances
    def extract_instances(self, feats: Tensor, label: Tensor) -> Tuple[Tensor, Tensor]:
        """Instance means of a batch.

        Args:
            feats (Tensor): (B, D, h, w) embeddings.
            label (Tensor): (B, h, w) long ground truth at the embeddings' resolution.

        Returns:
            tuple[Tensor, Tensor]: (B, C, M, D) float32 instance means and (B, C, M) bool
            validity (at least ``min_pixels`` pixels), M = 1 for 'class'.
        """
        b, d, h, w = feats.shape
        flat = feats.float().flatten(2).transpose(1, 2)  # (B, hw, D)
        lab = label.flatten(1)
        if self.instances == 'class':
            cls = torch.arange(self.num_classes, device=label.device).view(1, -1, 1)
            onehot = (lab.unsqueeze(1) == cls).float()  # (B, C, hw); 255 matches none
            counts = onehot.sum(-1)  # (B, C)
            sums = torch.bmm(onehot, flat)  # (B, C, D)
            means = sums / counts.clamp(min=1).unsqueeze(-1)
            return means.unsqueeze(2), (counts >= self.min_pixels).unsqueeze(2)
        ids = connected_components(label, self.cc_iterations, self.ignore_index).flatten(1)
        valid_px = (lab != self.ignore_index).float()
        counts = torch.zeros(b, h * w, device=feats.device).scatter_add_(1, ids, valid_px)
        sums = torch.zeros(b, h * w, d, device=feats.device).scatter_add_(
            1, ids.unsqueeze(-1).expand(-1, -1, d), flat * valid_px.unsqueeze(-1))
        root_class = lab  # bin j is the component rooted at pixel j: its class is lab[j]
        cls = torch.arange(self.num_classes, device=label.device).view(1, -1, 1)
        scores = torch.where(root_class.unsqueeze(1) == cls, counts.unsqueeze(1),
                             counts.new_full((), -1.0))  # (B, C, hw)
        m = min(self.max_components, h * w)
        top_counts, top_bins = scores.topk(m, dim=-1)  # (B, C, M)
        top_sums = sums.gather(1, top_bins.flatten(1).unsqueeze(-1).expand(-1, -1, d))
        means = top_sums.view(b, self.num_classes, m, d) / top_counts.clamp(
            min=1).unsqueeze(-1)
        return means, top_counts >= self.min_pixels

    # ------------------------------------------------------------------ update
    @torch.no_grad()
    def update(self, feats: Tensor, label: Tensor) -> None:
        """Write the batch's instances into their classes' next slots (EMA once filled).

        Instances of class c are taken in image order (then component size); at most c's
        slot count of them per call, so no slot is written twice in one call.

        Args:
            feats (Tensor): (B, D, h, w) source embeddings (detached here).
            label (Tensor): (B, h, w) long source ground truth at the same resolution.
        """
        feats = feats.detach()
        with no_autocast(feats):
            self._update(feats.float(), label)

    def _update(self, feats: Tensor, label: Tensor) -> None:
        means, valid = self.extract_instances(feats, label)  # (B, C, M, D), (B, C, M)
        if self.normalize:
            means = F.normalize(means, dim=-1)
        c = self.num_classes
        means = means.transpose(0, 1).reshape(c, -1, self.feat_dim)  # (C, B*M, D)
        valid = valid.transpose(0, 1).reshape(c, -1)  # (C, B*M)
        n_slots = self.slot_counts.unsqueeze(1)  # (C, 1)
        rank = valid.long().cumsum(1) - 1
        take = valid & (rank < n_slots)
        slot = self.slot_starts.unsqueeze(1) + (self.pointer.unsqueeze(1) + rank) % n_slots.clamp(
            min=1)
        dump = self.num_entries  # the writes that are not taken land on a spare row
        slot = torch.where(take, slot, torch.full_like(slot, dump)).flatten()
        values = means.flatten(0, 1) * take.flatten().unsqueeze(-1)
        incoming = torch.zeros(dump + 1, self.feat_dim, device=feats.device).index_put_(
            (slot, ), values, accumulate=True)[:dump]  # unique slots: accumulate = copy
        hit = torch.zeros(dump + 1, device=feats.device).index_put_(
            (slot, ), take.flatten().float(), accumulate=True)[:dump] > 0
        m = self.momentum
        blended = torch.where(self.filled.unsqueeze(1), m * self.features + (1 - m) * incoming,
                              incoming)
        self.features.copy_(torch.where(hit.unsqueeze(1), blended, self.features))
        self.filled.logical_or_(hit)
        taken = take.long().sum(1)
        self.pointer.copy_((self.pointer + taken) % self.slot_counts.clamp(min=1))
        self.num_updates.add_(1)

    # ------------------------------------------------------------------ similarity
    def entries(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """(K, D) entries as used by the similarity (unit vectors when ``normalize``)."""
        f = self.features.to(dtype)
        return F.normalize(f, dim=1) if self.normalize else f

    def similarity(self, emb: Tensor) -> Tensor:
        """Dot products of embeddings with every entry, in float32.

        Args:
            emb (Tensor): (B, D, h, w) embeddings (normalised here when ``normalize``).

        Returns:
            Tensor: (B, K, h, w) float32 ``e_t . e_k`` (entries that are not filled yet
            are masked by the consumers with :attr:`filled`).
        """
        with no_autocast(emb):  # fp32 under AMP too: cosines / tp need the precision
            emb = emb.float()
            if self.normalize:
                emb = F.normalize(emb, dim=1)
            return torch.einsum('bdhw,kd->bkhw', emb, self.entries())

    def class_onehot(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """(K, C) one-hot of the entries' classes, zero rows for empty slots."""
        onehot = F.one_hot(self.labels, self.num_classes).to(dtype)
        return onehot * self.filled.unsqueeze(1).to(dtype)


__all__ = ['InstanceFeatureBank', 'balanced_class_slots', 'connected_components',
           'no_autocast', 'INSTANCE_MODES']
