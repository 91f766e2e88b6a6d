# CLIP ViT-B/16 with SemiVL's language-guided decoder (issue 21): the encoder of
# clip-vitb16.py (OpenAI weights, full fine-tuning) with the value-path skips of blocks 0
# and 4 and the dense 512-d MaskCLIP embedding (SemiVL's layout, no neck) into
# LanguageGuidedHead, whose class embeddings are the Cityscapes class definitions
# (class_definitions/cityscapes.yaml, 19 classes / 54 concepts; one embedding per class =
# the mean of its concepts, as SemiVL's Cityscapes decoder). Weights are shared across
# classes, so `tools/infer.py --classes` segments any class list with a trained model.
# Switch: a leaf merges `vl_lg_student` into its student (model.student).
vl_lg_student = dict(
    backbone=dict(skip_blocks=(0, 4)),
    neck=None,
    # LanguageGuidedHead's defaults are this layout: in_channels (768, 768, 512), levels
    # (0, 1, 2), 512-d text, CE loss; only the text embeddings are set.
    decode_head=dict(
        _delete_=True,
        type='LanguageGuidedHead',
        text_embeddings=dict(model_name='ViT-B-16', pretrained='openai',
                             class_definitions='cityscapes', aggregation='mean')))
