"""GAN losses of output-space adversarial adaptation: vanilla (BCE) and least squares."""
from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

GAN_TYPES = ('vanilla', 'lsgan')


@MODELS.register_module()
class GANLoss(nn.Module):
    """Loss of discriminator logits against one domain label for every position.

    * ``'vanilla'``: ``BCEWithLogits(logits, label)`` (AdaptSegNet's and ADVENT's code);
    * ``'lsgan'``: ``MSE(logits, label)`` on the raw outputs (least-squares GAN, the
      DAFormer-family re-implementations; AdaptSegNet's ``--gan LS``).

    Both are means over all positions and images.

    Args:
        gan_type (str): ``'vanilla'`` or ``'lsgan'``. Default: 'vanilla'.
        loss_weight (float): Factor of the loss. Default: 1.0.
    """

    def __init__(self, gan_type: str = 'vanilla', loss_weight: float = 1.0) -> None:
        super().__init__()
        if gan_type not in GAN_TYPES:
            raise ValueError(f'GANLoss: gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        self.gan_type = gan_type
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, label: float) -> Tensor:
        """Loss of (B, 1, h, w) discriminator ``logits`` against the domain ``label``.

        Args:
            logits (Tensor): (B, 1, h, w) raw discriminator outputs.
            label (float): Domain label of every position (0 source, 1 target).

        Returns:
            Tensor: scalar float32 loss.
        """
        logits = logits.float()  # BCE/MSE in float32 under autocast
        target = logits.new_full(logits.shape, float(label))
        if self.gan_type == 'vanilla':
            loss = F.binary_cross_entropy_with_logits(logits, target)
        else:
            loss = F.mse_loss(logits, target)
        return self.loss_weight * loss
