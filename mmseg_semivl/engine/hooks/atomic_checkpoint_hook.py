"""A ``CheckpointHook`` after which a kill at any instant leaves a resumable run."""
from __future__ import annotations

import contextlib
import inspect
import logging
import os
import os.path as osp
from typing import Any, List, Optional

from mmengine.dist import is_main_process, master_only
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ..runner.atomic_checkpoint import (atomic_open, atomic_save_checkpoint,
                                        is_no_space_error, publish_file,
                                        remove_stale_temporaries, temporary_name)
from ..runner.config_checks import unknown_argument_message
from ..runner.resume import LAST_CHECKPOINT, check_resume_file, resolve_resume


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (full disk, quota, file-size limit).

    Args:
        message (str): The whole one-line message (``str(error)``, no ``[Errno N]``).
        code (int): The ``errno`` of the failed write.
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.errno = code


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's :class:`CheckpointHook` with crash-safe writing and rotation.

    MMEngine 0.10.7 deletes the oldest checkpoint (``max_keep_ckpts``) and the previous
    best one (``save_best``) *before* the new file is written, writes the new file in
    place and rewrites ``last_checkpoint`` in place: a kill during the write leaves a
    truncated file and a pointer to a deleted one. This hook

    * writes each checkpoint to a uniquely named hidden temporary in the same folder,
      flushes it and renames it onto its name (atomic), then rewrites
      ``last_checkpoint`` the same way, and only then deletes the files that rotation
      drops - so at every instant the pointer names a complete file;
    * removes temporaries of killed runs at the start (``before_train``);
    * turns a full disk into ``no space left on device while writing PATH; the
      previous checkpoint PATH is intact`` (:class:`CheckpointWriteError`);
    * rejects unknown arguments when it is built (``intervl=1`` names ``interval``)
      instead of at the first save;
    * on ``resume=True`` without a file, resumes the newest complete checkpoint when
      ``last_checkpoint`` is empty, stale or truncated, and says loudly when there is
      nothing to resume (``before_run``; ``tools/train.py`` does this even earlier).

    MMEngine serialises a checkpoint in memory before writing it (peak about twice
    the checkpoint size), as the stock hook does. Remote ``out_dir`` backends keep
    MMEngine's writing; only the order of deletion changes there.

    Args:
        remove_stale_tmp (bool): Delete leftover checkpoint temporaries in the output
            folder at the start of training. Disable only if several runs write into
            the same folder at once.
        **kwargs: Arguments of :class:`mmengine.hooks.CheckpointHook`.
    """

    def __init__(self, remove_stale_tmp: bool = True, **kwargs: Any) -> None:
        known = [n for n in inspect.signature(CheckpointHook.__init__).parameters
                 if n not in ('self', 'kwargs')] + ['remove_stale_tmp']
        for name in kwargs:
            if name not in known:
                # The stock hook would forward it to Runner.save_checkpoint and fail
                # there, at the first save.
                raise TypeError(unknown_argument_message(
                    'default_hooks.checkpoint', type(self).__name__, name, known))
        super().__init__(**kwargs)
        self.remove_stale_tmp = remove_stale_tmp

    # ------------------------------------------------------------------ start
    def before_run(self, runner) -> None:
        """Resolve ``resume=True`` (no file) to the newest complete checkpoint.

        An explicit resume file that is missing or truncated raises :class:`ResumeError`
        naming the newest intact alternative (``tools/train.py`` checks both earlier).
        """
        if getattr(runner, '_resume', False) and getattr(runner, '_load_from', None):
            check_resume_file(str(runner._load_from))
        elif getattr(runner, '_resume', False):
            choice = resolve_resume(runner.work_dir)
            runner.logger.log(logging.WARNING if choice.fallback else logging.INFO,
                              choice.message)
            if choice.checkpoint is None:
                runner._resume = False  # MMEngine would log "resumed from None" otherwise
            else:
                runner._load_from = choice.checkpoint

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.remove_stale_tmp and is_main_process() and self._is_local():
            for folder in dict.fromkeys([self.out_dir, runner.work_dir]):
                for path in remove_stale_temporaries(folder):
                    runner.logger.info(f'Removed a temporary file of an interrupted save: {path}')

    # ------------------------------------------------------------------ writing
    def _is_local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

    def _write(self, runner, filename: str, previous: Optional[str], **kwargs: Any) -> None:
        """``runner.save_checkpoint`` into a temporary, then rename it onto ``filename``."""
        final = self.file_backend.join_path(self.out_dir, filename)
        if not self._is_local():
            runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                                   backend_args=self.backend_args, **kwargs)
            return
        tmp = temporary_name(final)
        try:
            runner.save_checkpoint(self.out_dir, osp.basename(tmp), self.file_client_args,
                                   backend_args=self.backend_args, **kwargs)
            if is_main_process():  # Runner.save_checkpoint writes on rank 0 only
                publish_file(tmp, final)
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            if is_no_space_error(error):
                kept = (f'the previous checkpoint {previous} is intact' if previous
                        else 'no earlier checkpoint exists')
                raise CheckpointWriteError(
                    f'no space left on device while writing {final} ({error.strerror}); '
                    f'{kept}', error.errno) from error
            raise

    def _previous_checkpoint(self, runner) -> Optional[str]:
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        if osp.isfile(pointer):
            with open(pointer) as file:
                named = file.read().strip()
            if named and osp.isfile(named):
                return named
        return None

    @master_only
    def _point_to(self, runner, path: str) -> None:
        with atomic_open(osp.join(runner.work_dir, LAST_CHECKPOINT), 'w') as file:
            file.write(path)

    @master_only
    def _remove(self, runner, paths: List[str]) -> None:
        for path in paths:
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed saves folders
                self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        # Same bookkeeping as MMEngine (the hub's keep_ckpt_ids is saved *in* the new
        # checkpoint), but the dropped file is deleted after the new one is in place.
        dropped: List[str] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                dropped.append(self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(old)))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        previous = self._previous_checkpoint(runner)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._write(runner, ckpt_filename, previous,
                    save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler,
                    meta=meta, by_epoch=self.by_epoch, **self.args)
        if not is_main_process():
            return
        self._point_to(runner, self.last_ckpt)
        self._remove(runner, [p for p in dropped if p != self.last_ckpt])

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # MMEngine's logic, except that the previous best file is deleted after the
        # new one is written.
        if not self.save_best:
            return
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])

        best_ckpt_updated = False
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            key_score = metrics[key_indicator]
            single = len(self.key_indicators) == 1
            best_score_key = 'best_score' if single else f'best_score_{key_indicator}'
            runtime_best_ckpt_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            old_best = self.best_ckpt_path if single else self.best_ckpt_path_dict[key_indicator]
            best_score = runner.message_hub.get_info(best_score_key, self.init_value_map[rule])
            if key_score is None or not self.is_better_than[key_indicator](key_score, best_score):
                continue
            best_ckpt_updated = True
            runner.message_hub.update_info(best_score_key, key_score)

            best_ckpt_name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            new_best = self.file_backend.join_path(self.out_dir, best_ckpt_name)
            if single:
                self.best_ckpt_path = new_best
            else:
                self.best_ckpt_path_dict[key_indicator] = new_best
            runner.message_hub.update_info(runtime_best_ckpt_key, new_best)
            self._write(runner, best_ckpt_name, old_best, save_optimizer=False,
                        save_param_scheduler=False, meta=dict(meta), by_epoch=False)
            runner.logger.info(
                f'The best checkpoint with {key_score:0.4f} {key_indicator} '
                f'at {cur_time} {cur_type} is saved to {best_ckpt_name}.')
            if old_best and old_best != new_best and is_main_process():
                self._remove(runner, [old_best])
                runner.logger.info(f'The previous best checkpoint {old_best} is removed')

        # As MMEngine: re-save the regular checkpoint so that its message hub names the
        # current best file (else a resumed run could not delete it later).
        if best_ckpt_updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)

    @master_only
    def _publish_model(self, runner, ckpt_path: str) -> None:
        # MMEngine's version writes the published file in place; this one atomically.
        from mmengine.runner import checkpoint as mmengine_checkpoint
        if not self._is_local():
            return super()._publish_model(runner, ckpt_path)
        import hashlib
        import pickle
        checkpoint = mmengine_checkpoint._load_checkpoint(ckpt_path)
        removed = [key for key in list(checkpoint) if key not in self.published_keys]
        for key in removed:
            checkpoint.pop(key)
        if removed:
            print_log(f'Key {removed} will be removed because they are not found in '
                      'published_keys.', logger='current')
        sha = hashlib.sha256(pickle.dumps(checkpoint)).hexdigest()
        final_path = osp.splitext(ckpt_path)[0] + f'-{sha[:8]}.pth'
        atomic_save_checkpoint(checkpoint, final_path)
        print_log(f'The checkpoint ({ckpt_path}) is published to {final_path}.',
                  logger='current')

