# The frozen dense CLIP of the vision-language parts (issue 21): SemiVL's guidance model,
# OpenAI CLIP ViT-B/16 with MaskCLIP's dense output, at the 512 training crop, scoring the
# Cityscapes class definitions (class_definitions/cityscapes.yaml) by the max over each
# class's concepts (SemiVL Eq. 5). Shared by clip_guidance.py and vl_fd.py (one model);
# a leaf sets it as `model.guidance` when either switch is on.
vl_guidance_model = dict(
    type='DenseCLIPZeroShot', model_name='ViT-B-16', pretrained='openai',
    class_definitions='cityscapes', aggregation='max', img_size=512)
