# EVA02-CLIP-L/14 with SemiVL's language-guided decoder (issue 21): the trunk of
# eva02-l14.py with `dense_embedding=True` (MaskCLIP's value path of the last block, final
# norm and open_clip's 1024 -> 768 image projection: a dense embedding in the image-text
# space), the outputs of blocks 0 and 7 as skips (1024-d, at the 1/14 token grid), into
# LanguageGuidedHead with EVA02-CLIP's own text tower embedding the Cityscapes class
# definitions (mean of each class's concepts).
# Switch: a leaf merges `vl_lg_student` into its student (model.student).
vl_lg_student = dict(
    backbone=dict(out_indices=(0, 7), dense_embedding=True),
    neck=None,
    # levels (0, 1, 2) and the CE loss: LanguageGuidedHead's defaults
    decode_head=dict(
        _delete_=True,
        type='LanguageGuidedHead',
        in_channels=(1024, 1024, 768),
        text_channels=768,
        text_embeddings=dict(model_name='EVA02-L-14', pretrained='merged2b_s4b_b131k',
                             class_definitions='cityscapes', aggregation='mean')))
