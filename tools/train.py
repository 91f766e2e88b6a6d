"""Train a segmentor (MMSeg's tools/train.py, with the plugin imported first).

Examples::

    python tools/train.py configs/semivl/voc_92.py
    python tools/train.py CONFIG --work-dir work_dirs/x --amp --resume
    bash tools/dist_train.sh CONFIG 8
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
from mmengine.config import Config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_semivl.engine.hooks import CheckpointWriteError  # noqa: E402
from mmseg_semivl.engine.optim_wrappers import NonFiniteStepError  # noqa: E402
from mmseg_semivl.engine.runner import (ConfigArgumentError, ResumeError,  # noqa: E402
                                        check_class_vocabulary, check_resume_file,
                                        check_run_config, resolve_resume)
from mmseg_semivl.engine.hooks import ensure_plain_checkpoint_state  # noqa: E402
from mmseg_semivl.engine.model_wrappers import setup_cpu_distributed  # noqa: E402
from mmseg_semivl.utils.cli import (add_cfg_options, add_launcher_args,  # noqa: E402
                                    configure_cpu_threads, enable_bf16_amp, export_local_rank,
                                    load_run_config)
from mmseg_semivl.utils.train_data import drop_unlabeled_stream  # noqa: E402

#: Errors that end the tool with one line ``error: <message>`` (exit status 1): their
#: message names the file, key or iteration at fault; a traceback adds nothing.
ONE_LINE_ERRORS = (CheckpointWriteError, ConfigArgumentError, NonFiniteStepError, ResumeError)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume training: with no value, from the latest checkpoint in the '
        'work dir; or from the given checkpoint file')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic mixed precision training (bf16 by default)')
    add_cfg_options(parser)
    add_launcher_args(parser)
    return export_local_rank(parser.parse_args(argv))


def build_config(args) -> Config:
    """The run config: ``--cfg-options``, work dir, ``--amp`` and ``--resume`` applied.

    ``--resume`` without a path is resolved here, before anything is built: the file
    ``last_checkpoint`` names if it is complete, else the newest complete checkpoint of
    the work dir (with a warning), else a loud warning and training from scratch.
    ``--resume PATH`` must name a complete checkpoint.

    Raises:
        ConfigArgumentError: A hook or loop argument its class does not take, or class
            definitions with another number of classes than the training dataset.
        ResumeError: ``--resume PATH`` is missing or truncated.
    """
    cfg = load_run_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    if args.amp:
        enable_bf16_amp(cfg)
    check_run_config(cfg)  # a misspelt hook/loop argument fails now, not at the first save
    check_class_vocabulary(cfg)  # names the class-definition file and the missing class
    if ensure_plain_checkpoint_state(cfg):
        print_log('custom_hooks lacked PlainCheckpointStateHook: added, so that checkpoints '
                  "resume under torch's safe loader", logger='current', level=logging.WARNING)
    if drop_unlabeled_stream(cfg):
        print_log('model.use_consistency=False: training on the labeled stream alone (no loss '
                  'would read the unlabeled images)', logger='current')
    if args.resume == 'auto':
        choice = resolve_resume(cfg.work_dir)
        print_log(choice.message, logger='current',
                  level=logging.WARNING if choice.fallback else logging.INFO)
        cfg.resume = choice.checkpoint is not None
        cfg.load_from = choice.checkpoint
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = check_resume_file(args.resume)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    configure_cpu_threads()
    cfg = build_config(args)
    setup_cpu_distributed(cfg, args.launcher)  # gloo + a CPU DDP wrapper without CUDA
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    return runner


def close_distributed() -> None:
    """Tear the process group down before the interpreter exits.

    Left to interpreter shutdown, the gloo/NCCL background threads can be destroyed while
    still joinable: the rank then aborts ('terminate called without an active exception',
    exit -6) after a successful run, and torchrun reports the job failed.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()  # no rank leaves while another still writes its last checkpoint
        dist.destroy_process_group()


if __name__ == '__main__':
    try:
        main()
        close_distributed()
    except ONE_LINE_ERRORS as error:
        sys.exit(f'error: {error}')
