from .confidence_masked_ce import ConfidenceMaskedCrossEntropy

__all__ = ['ConfidenceMaskedCrossEntropy']
