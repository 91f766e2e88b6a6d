from . import backbones, data_preprocessors, decode_heads, losses, segmentors, text, utils  # noqa: F401,E501
from . import discriminators  # noqa: F401  (FCDiscriminator)
