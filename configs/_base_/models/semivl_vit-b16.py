# SemiVL with a CLIP ViT-B/16 (paper Sec. 3.2-3.6): UniMatch's training on CLIP
# (unimatch_clip-vit-b16_common.py) with spatial fine-tuning, the language-guided decoder
# and dense CLIP guidance. Dataset configs set the class names of the decoder
# (`decode_head.text_embeddings.class_definitions`), the concepts of the dense CLIP
# guidance (`guidance.class_definitions`) and `num_classes`, and the crop size
# (`data_preprocessor.size`, `img_size` of both CLIPs, `test_cfg`).
_base_ = ['./unimatch_clip-vit-b16_common.py']
clip_model = _base_.clip_model
clip_pretrained = _base_.clip_pretrained
model = dict(
    backbone=dict(finetune='spatial', skip_blocks=(0, 4)),
    decode_head=dict(
        type='LanguageGuidedHead',
        num_classes=21,
        text_embeddings=dict(
            model_name=clip_model,
            pretrained=clip_pretrained,
            class_definitions='voc',
            aggregation='name'),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    # The frozen CLIP of dense CLIP guidance, with the class definitions as concepts.
    guidance=dict(
        type='DenseCLIPZeroShot',
        model_name=clip_model,
        pretrained=clip_pretrained,
        img_size=512,
        class_definitions='voc',
        aggregation='max'),
    loss_guidance=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
    guidance_weight=0.1,
    guidance_schedule='linear',
    guidance_temperature=100.0)
