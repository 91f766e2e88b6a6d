"""Output-space discriminators of adversarial domain adaptation (AdaptSegNet, ADVENT)."""
from .fc_discriminator import FCDiscriminator

__all__ = ['FCDiscriminator']
