_base_ = './dida_mitb5_gta2cs.py'  # loss-weight ablation (supplement Table 2)
model = dict(loss_instance=dict(loss_weight=0.5))
