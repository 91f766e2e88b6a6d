"""MMSeg's EncoderDecoder whose class count always follows its decode head."""
from __future__ import annotations

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


@MODELS.register_module()
class HeadSyncedEncoderDecoder(EncoderDecoder):
    """:class:`EncoderDecoder` reading ``num_classes`` / ``out_channels`` from its head.

    MMSeg copies both from the head once, at build time, and sliding-window inference
    allocates ``out_channels`` maps. A head whose vocabulary changes later
    (``LanguageGuidedHead.set_text_embeddings``, a checkpoint with another class list)
    would leave stale copies; here they are properties of the head. Assigning the
    head's own value is accepted (MMSeg's constructor and ``sync_num_classes`` do it);
    any other value raises instead of being silently dropped, since only the head can
    change its class count.

    Args: As :class:`EncoderDecoder`.
    """

    @property
    def num_classes(self) -> int:
        return self.decode_head.num_classes

    @num_classes.setter
    def num_classes(self, value: int) -> None:
        self._check_assignment('num_classes', value)

    @property
    def out_channels(self) -> int:
        return self.decode_head.out_channels

    @out_channels.setter
    def out_channels(self, value: int) -> None:
        self._check_assignment('out_channels', value)

    def _check_assignment(self, name: str, value: int) -> None:
        current = getattr(self.decode_head, name)
        if value != current:
            raise AttributeError(
                f'{type(self).__name__}.{name} follows its decode head ({current}); change '
                f'the head instead (e.g. LanguageGuidedHead.set_text_embeddings), got {value}')
