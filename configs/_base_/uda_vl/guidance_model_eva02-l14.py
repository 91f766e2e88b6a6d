# The frozen dense CLIP of the vision-language parts for EVA02-CLIP-L/14 students (issue 21):
# EVA02-CLIP-L/14 itself, open_clip's 'merged2b_s4b_b131k' image and text towers. Its dense
# output is MaskCLIP's value path of the last block, the final norm and the 1024 -> 768
# image projection (OpenCLIPEVA(dense_embedding=True), the same as the language-guided
# student's), so the student's dense embedding and the guidance's share one 768-d space:
# the vision-language feature distance needs that, and the guidance labels come from the
# student's own CLIP family. Scores the Cityscapes class definitions by the max over each
# class's concepts (SemiVL Eq. 5), softmax(100 x cosine) (EVA02-CLIP's logit scale is also
# 100). SemiVL's ViT-B/16 guidance (guidance_model.py) is one key away:
# model.guidance=_base_.vl_guidance_model of that file (docs/deviations.md).
vl_guidance_model = dict(
    type='DenseCLIPZeroShot', model_name='EVA02-L-14', pretrained='merged2b_s4b_b131k',
    class_definitions='cityscapes', aggregation='max',
    backbone=dict(type='OpenCLIPEVA', model_name='EVA02-L-14', dense_embedding=True,
                  finetune='frozen', out_indices=(23, )))
