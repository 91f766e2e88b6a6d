from .confidence_masked_ce import ConfidenceMaskedCrossEntropy
from .gan_loss import GAN_TYPES, GANLoss
from .instance_loss import InstanceSimilarityLoss, instance_loss, similarity_distribution

__all__ = [
    'ConfidenceMaskedCrossEntropy', 'GANLoss', 'GAN_TYPES', 'InstanceSimilarityLoss',
    'instance_loss', 'similarity_distribution'
]
