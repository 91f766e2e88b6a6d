"""Helpers the segmentor and the adversarial tests share: the training progress the
schedules read, and a frozen dense toy "CLIP" for the vision-language parts."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from mmseg.registry import MODELS


def set_progress(iteration: int, max_iters: int) -> None:
    """Tell the message hub where training is, as the runner's loop does every iteration."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', iteration)
    hub.update_info('max_iters', max_iters)


@MODELS.register_module(force=True)
class ToyDenseCLIP(BaseModule):
    """A frozen 'CLIP': 1x1 conv 3 -> ``channels``, ``stride`` x ``stride`` average pooling,
    L2-normalised, cosine to ``num_classes`` fixed text vectors.

    Args:
        channels: width of the dense embedding.
        num_classes: number of text vectors (classes).
        stride: output stride of the dense embedding (1: full resolution).
        seed: seed of the weights (conv, then bias when ``seed_bias``, then text).
        seed_bias: draw the conv bias from the seeded generator too (else torch's default
            initialisation).
    """

    def __init__(self, channels: int = 4, num_classes: int = 3, stride: int = 1, seed: int = 5,
                 seed_bias: bool = True):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.stride = stride
        self.conv = nn.Conv2d(3, channels, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g))
            if seed_bias:
                self.conv.bias.copy_(torch.randn(self.conv.bias.shape, generator=g))
        self.register_buffer('text', F.normalize(torch.randn(num_classes, channels,
                                                             generator=g), dim=1))

    def forward_with_embedding(self, x):
        """(B, 3, H, W) -> scores (B, K, H/s, W/s) and the dense embedding (B, C, H/s, W/s)."""
        feat = self.conv(x)
        if self.stride > 1:
            feat = F.avg_pool2d(feat, self.stride)
        dense = F.normalize(feat, dim=1)
        return torch.einsum('bdhw,kd->bkhw', dense, self.text), dense

    def forward(self, x, return_embedding=False):
        out = self.forward_with_embedding(x)
        return out if return_embedding else out[0]
