# Switch: the vision-language feature distance (issue 21), the CLIP-native replacement of
# DAFormer's ImageNet FD (which it switches off): on the source images, the student
# backbone's dense CLIP embedding (its last output) is kept close to the frozen guidance
# CLIP's, L2-normalised, lambda 0.005 (DAFormer's), where the guidance is confident
# (zeta 0.9 of softmax(100 x cosine)). Needs a student whose last backbone output lives in
# the guidance CLIP's embedding space (CLIP ViT-B/16: 512-d).
vl_fd = dict(
    vl_feature_distance=dict(loss_weight=0.005, mask='confident', layer=-1, normalize=True),
    feature_distance=None)
