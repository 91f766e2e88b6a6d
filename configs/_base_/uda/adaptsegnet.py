# AdaptSegNet (Tsai et al. 2018): one FCDiscriminator per output level on the softmax of the
# upsampled logits; lambda_adv main 0.001 / aux 0.0002; vanilla GAN (BCE) as the original
# (gan_type='lsgan' for the least-squares variant); source label 0, target 1.
_base_ = ['./adversarial.py']
model = dict(
    type='AdvSeg',
    discriminator=dict(type='FCDiscriminator', channels=(64, 128, 256, 512), negative_slope=0.2),
    lambda_adv=dict(main=0.001, aux=0.0002),
    gan_loss=dict(type='GANLoss', gan_type='vanilla'),
    source_label=0.0,
    target_label=1.0,
    disc_weights=dict(source=0.5, target=0.5),
    upsample_to_input=True)
