from .confidence_masked_ce import ConfidenceMaskedCrossEntropy
from .gan_loss import GAN_TYPES, GANLoss

__all__ = ['ConfidenceMaskedCrossEntropy', 'GANLoss', 'GAN_TYPES']
