# Switch: dense CLIP guidance on the target images (issue 21; SemiVL Sec. 3.5 inside
# DACS). lambda_t = 0.1 (1 - t / T); zeta 0.9, CE summed over confident pixels / all
# pixels; softmax(100 x cosine) (OpenAI CLIP's logit scale); the guidance labels are mixed
# by the ClassMix mask, pasted source pixels ignored. The guidance model scores the whole
# 512 crop (crop_size=None: its own tiling equals the training crop here; set crop_size
# and stride to score larger target images window by window).
vl_clip_guidance = dict(
    clip_guidance=dict(
        weight=0.1, schedule='linear', temperature=100.0,
        loss=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
        crop_size=None, source_pixels='ignore'))
