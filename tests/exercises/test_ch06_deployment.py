"""Exercises of chapter 06, each with a right, a blank, a missing and wrong answers."""

import io
import random

import numpy as np
import torch
from exercise_harness import Case, chinese_test, standard_tests

from labkit.check import Outcome, run_check
from labkit.exercises.ch06_deployment import (
    Checkpoint,
    ExportDynamic,
    ModelSize,
    Parity,
    SafeLoading,
    given_load_model,
    given_save_model,
)

# --- checkpoints -------------------------------------------------------------


def save_checkpoint(path, model, optimizer, scheduler, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch,
                "rng": torch.get_rng_state()}, path)


def load_checkpoint(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


def save_everything_more(path, model, optimizer, scheduler, epoch):
    """Also right: more state than needed, and a python int pulled from a tensor."""
    torch.save({"state": {"model": model.state_dict(), "optim": optimizer.state_dict()},
                "sched": scheduler.state_dict(), "epoch": torch.tensor(epoch),
                "torch_rng": torch.get_rng_state(), "py_rng": random.getstate()}, path)


def load_everything_more(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["state"]["model"])
    optimizer.load_state_dict(checkpoint["state"]["optim"])
    scheduler.load_state_dict(checkpoint["sched"])
    torch.set_rng_state(checkpoint["torch_rng"])
    random.setstate(checkpoint["py_rng"])
    return int(checkpoint["epoch"])


def save_epoch_as_tensor(path, model, optimizer, scheduler, epoch):
    save_checkpoint(path, model, optimizer, scheduler, torch.tensor(epoch))


def load_without_rng(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return checkpoint["epoch"]


def load_without_scheduler(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


def load_without_optimizer(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


def save_without_epoch(path, model, optimizer, scheduler, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state()}, path)


def load_without_epoch(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])


def load_next_epoch(path, model, optimizer, scheduler):
    return load_checkpoint(path, model, optimizer, scheduler) + 1


def load_reseeded(path, model, optimizer, scheduler):
    epoch = load_without_rng(path, model, optimizer, scheduler)
    torch.manual_seed(0)
    return epoch


def save_numpy_rng_too(path, model, optimizer, scheduler, epoch):
    """Also saves NumPy's generator: an array that the weights-only loader refuses."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch,
                "rng": torch.get_rng_state(), "np_rng": np.random.get_state()}, path)


def save_model_object(path, model, optimizer, scheduler, epoch):
    torch.save({"model": model, "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch,
                "rng": torch.get_rng_state()}, path)


def load_unsafely(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


def load_default(path, model, optimizer, scheduler):
    """Also right: torch.load's default is weights_only=True since PyTorch 2.6."""
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


def load_then_step(path, model, optimizer, scheduler):
    epoch = load_checkpoint(path, model, optimizer, scheduler)
    scheduler.step()  # "one step on", as at the end of an epoch
    return epoch


def save_initial_seed(path, model, optimizer, scheduler, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch,
                "rng": torch.initial_seed()}, path)


def load_initial_seed(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.manual_seed(checkpoint["rng"])
    return checkpoint["epoch"]


def load_rng_before_building(path, model, optimizer, scheduler):
    """Restores the generator, then draws from it (a fresh layer): the state moves on."""
    epoch = load_checkpoint(path, model, optimizer, scheduler)
    torch.nn.Linear(3, 3)
    return epoch


# --- safe model files --------------------------------------------------------


def save_model(model, path):
    torch.save(model.state_dict(), path)


def load_model(model, path):
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def load_model_unsafe(model, path):
    model.load_state_dict(torch.load(path, weights_only=False))
    return model.eval()


def load_model_fallback(model, path):
    try:
        state = torch.load(path, weights_only=True)
    except Exception:
        state = torch.load(path, weights_only=False).state_dict()
    model.load_state_dict(state)
    return model.eval()


def load_model_swallows(model, path):
    try:
        model.load_state_dict(torch.load(path, weights_only=True))
    except Exception:
        pass
    return model.eval()


def load_model_train_mode(model, path):
    model.load_state_dict(torch.load(path, weights_only=True))
    return model


def load_model_returns_state(model, path):
    return torch.load(path, weights_only=True)


def save_model_in_dict(model, path):
    torch.save({"model": model, "epoch": 3}, path)


def load_into_copy(model, path):
    import copy

    fresh = copy.deepcopy(model)
    fresh.load_state_dict(torch.load(path, weights_only=True))
    return fresh.eval()


def load_model_of_a_pickle(model, path):
    """Raises torch.load's weights-only error itself (its text has colour codes)."""
    torch.save(model, path)
    return torch.load(path, weights_only=True)


# --- export ------------------------------------------------------------------


def export_dynamic_batch(model, example):
    batch = torch.export.Dim("batch")
    return torch.export.export(model, (example,), dynamic_shapes=({0: batch},))


def export_keyed_x(model, example):
    """The dict form with the name `x`: an nn.Sequential calls its argument `input`."""
    batch = torch.export.Dim("batch")
    return torch.export.export(model, (example,), dynamic_shapes={"x": {0: batch}})


def export_static(model, example):
    return torch.export.export(model, (example,))


def export_in_train_mode(model, example):
    return export_dynamic_batch(model.train(), example)


def export_at_most_6(model, example):
    batch = torch.export.Dim("batch", max=6)
    return torch.export.export(model, (example,), dynamic_shapes=({0: batch},))


def export_module(model, example):
    return export_dynamic_batch(model, example).module()


# --- parity ------------------------------------------------------------------


def compare_outputs(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()
    excess = diff - (atol + rtol * reference.abs())
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return bool((excess <= 0).all()), diff.max().item(), tuple(int(i) for i in worst)


def compare_only_atol(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()
    worst = torch.unravel_index((diff - atol).argmax(), diff.shape)
    return bool((diff <= atol).all()), diff.max().item(), tuple(int(i) for i in worst)


def compare_only_rtol(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()
    excess = diff - rtol * reference.abs()
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return bool((excess <= 0).all()), diff.max().item(), tuple(int(i) for i in worst)


def compare_worst_is_largest_diff(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, max_diff, _ = compare_outputs(reference, candidate, atol, rtol)
    diff = (candidate - reference).abs()
    return ok, max_diff, tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))


def compare_flat_index(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, max_diff, _ = compare_outputs(reference, candidate, atol, rtol)
    excess = (candidate - reference).abs() - (atol + rtol * reference.abs())
    return ok, max_diff, int(excess.argmax())


def compare_relative_diff(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, _, worst = compare_outputs(reference, candidate, atol, rtol)
    relative = (candidate - reference).abs() / reference.abs().clamp(min=1e-12)
    return ok, relative.max().item(), worst


def compare_worst_by_ratio(reference, candidate, atol=1e-5, rtol=1e-4):
    """The worst element by |diff| / allowance, not by how far past the allowance."""
    ok, max_diff, _ = compare_outputs(reference, candidate, atol, rtol)
    ratio = (candidate - reference).abs() / (atol + rtol * reference.abs())
    return ok, max_diff, tuple(int(i) for i in torch.unravel_index(ratio.argmax(), ratio.shape))


def compare_none_when_ok(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, max_diff, worst = compare_outputs(reference, candidate, atol, rtol)
    return ok, max_diff, None if ok else worst


def compare_signed_diff(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, _, worst = compare_outputs(reference, candidate, atol, rtol)
    return ok, (candidate - reference).max().item(), worst


def compare_numpy(reference, candidate, atol=1e-5, rtol=1e-4):
    """Also right: NumPy throughout, NumPy integers in the index."""
    ref, cand = reference.numpy(), candidate.numpy()
    diff = np.abs(cand - ref)
    excess = diff - (atol + rtol * np.abs(ref))
    return (bool(np.allclose(cand, ref, rtol=rtol, atol=atol)), float(diff.max()),
            np.unravel_index(excess.argmax(), excess.shape))


def compare_allclose(reference, candidate, atol=1e-5, rtol=1e-4):
    """Also right: torch.isclose for the verdict, the same worst element."""
    close = torch.isclose(candidate, reference, atol=atol, rtol=rtol)
    excess = (candidate - reference).abs() - (atol + rtol * reference.abs())
    index = torch.unravel_index(torch.argmax(excess), reference.shape)
    return torch.all(close), (candidate - reference).abs().max(), torch.stack(index)


# --- size --------------------------------------------------------------------


def model_size_bytes(model):
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def size_of_saved_file(model):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def size_counted_per_module(model):
    """Counts nested tensors again for every module above them."""
    return sum(t.numel() * t.element_size() for module in model.modules()
               for t in [*module.parameters(), *module.buffers()])


def size_top_level_buffers(model):
    return sum(t.numel() * t.element_size()
               for t in [*model.parameters(), *model.buffers(recurse=False)])


# --- wrong answers of the classes every check must catch ------------------------


def save_checkpoint_in_half(path, model, optimizer, scheduler, epoch):
    """A smaller file, by turning the caller's model to float16 before saving it."""
    save_checkpoint(path, model.half(), optimizer, scheduler, epoch)


def save_model_in_half(model, path):
    torch.save(model.half().state_dict(), path)  # the caller's model is float16 now


def export_at_most_64(model, example):
    batch = torch.export.Dim("batch", max=64)
    return torch.export.export(model, (example,), dynamic_shapes=({0: batch},))


def export_fused(model, example):
    """Folds the batch norm into the convolution first, in the caller's model."""
    model[0] = torch.nn.utils.fusion.fuse_conv_bn_eval(model[0], model[1])
    model[1] = torch.nn.Identity()
    return export_dynamic_batch(model, example)


def compare_ok_unless_over(reference, candidate, atol=1e-5, rtol=1e-4):
    """ok unless some element is over its allowance: a NaN is never over anything."""
    ok, max_diff, worst = compare_outputs(reference, candidate, atol, rtol)
    excess = (candidate - reference).abs() - (atol + rtol * reference.abs())
    return not bool((excess > 0).any()), max_diff, worst


def compare_strictly_below(reference, candidate, atol=1e-5, rtol=1e-4):
    ok, max_diff, worst = compare_outputs(reference, candidate, atol, rtol)
    excess = (candidate - reference).abs() - (atol + rtol * reference.abs())
    return bool((excess < 0).all()), max_diff, worst


def compare_finite_max(reference, candidate, atol=1e-5, rtol=1e-4):
    """The largest difference among the finite ones: hides the broken element."""
    ok, _max_diff, worst = compare_outputs(reference, candidate, atol, rtol)
    diff = (candidate - reference).abs()
    return ok, diff[torch.isfinite(diff)].max().item(), worst


def compare_abs_in_place(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()
    excess = diff - (atol + rtol * reference.abs_())  # abs_ changes the caller's reference
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return bool((excess <= 0).all()), diff.max().item(), tuple(int(i) for i in worst)


def size_per_state_dict_entry(model):
    """A tied weight is in the state_dict twice, under two names."""
    return sum(t.nbytes for t in model.state_dict().values())


def size_per_storage(model):
    return sum(t.untyped_storage().nbytes() for t in model.state_dict().values())


def size_after_float(model):
    """Turns the caller's model to float32 to count "elements of 4 bytes"."""
    return 4 * sum(t.numel() for t in [*model.float().parameters(), *model.buffers()])


CASES = [
    Case(Checkpoint,
         right={"save_checkpoint": save_checkpoint, "load_checkpoint": load_checkpoint},
         wrong=[
             ({"load_checkpoint": load_without_rng}, "torch.get_rng_state()"),
             ({"load_checkpoint": load_reseeded}, "random generator"),
             ({"load_checkpoint": load_without_scheduler}, "scheduler.last_epoch"),
             ({"load_checkpoint": load_without_optimizer}, "optimizer's state"),
             ({"save_checkpoint": save_without_epoch, "load_checkpoint": load_without_epoch},
              "what `load_checkpoint` returns"),
             ({"load_checkpoint": load_next_epoch}, "`epoch` passed to `save_checkpoint`"),
             ({"load_checkpoint": load_rng_before_building}, "random generator"),
             ({"load_checkpoint": lambda *args: float(load_checkpoint(*args))}, "(float)"),
             ({"save_checkpoint": save_numpy_rng_too}, "Unsupported global: GLOBAL numpy"),
             ({"save_checkpoint": save_model_object}, "weights_only=True)` reads"),
             ({"load_checkpoint": load_then_step}, "scheduler.last_epoch"),
             ({"load_checkpoint": load_unsafely}, "the code in the file ran"),
             ({"save_checkpoint": save_initial_seed, "load_checkpoint": load_initial_seed},
              "random generator"),
             ({"save_checkpoint": save_checkpoint_in_half}, "changed its argument `model"),
         ],
         raising=[
             ({"save_checkpoint": save_without_epoch}, "KeyError"),
         ]),
    Case(SafeLoading,
         right={"save_model": save_model, "load_model": load_model},
         wrong=[
             ({"load_model": load_model_unsafe}, "the code in the file ran"),
             ({"load_model": load_model_fallback}, "the code in the file ran"),
             ({"load_model": load_model_swallows}, "returned without complaint"),
             ({"load_model": load_model_train_mode}, "eval mode"),
             ({"load_model": load_model_returns_state}, "what `load_model(model, path)` "
                                                        "returns"),
             ({"save_model": given_save_model}, "Unsupported global"),
             ({"save_model": save_model_in_dict}, "weights_only=True)` can read"),
             ({"load_model": load_into_copy}, "the model it was given"),
             ({"save_model": save_model_in_half}, "changed its argument `model"),
         ],
         raising=[
             ({"load_model": load_model_of_a_pickle}, "Unsupported global"),
         ]),
    Case(ExportDynamic, right={"export_dynamic_batch": export_dynamic_batch}, wrong=[
        ({"export_dynamic_batch": export_static}, "a batch of shape (1,"),
        ({"export_dynamic_batch": export_module}, "ExportedProgram"),
        ({"export_dynamic_batch": lambda model, example: model}, "ExportedProgram"),
        ({"export_dynamic_batch": export_in_train_mode}, "eval mode"),
        ({"export_dynamic_batch": export_at_most_6}, "dynamic but bounded"),
        ({"export_dynamic_batch": export_at_most_64}, "dynamic but bounded"),
        ({"export_dynamic_batch": export_fused}, "changed its argument `model"),
    ], raising=[
        ({"export_dynamic_batch": export_keyed_x}, "arg names ['input']"),
    ]),
    Case(Parity, right={"compare_outputs": compare_outputs}, wrong=[
        ({"compare_outputs": compare_only_atol}, "relative tolerance"),
        ({"compare_outputs": compare_only_rtol}, "`ok` of"),
        ({"compare_outputs": compare_worst_is_largest_diff}, "furthest past its allowance"),
        ({"compare_outputs": compare_flat_index}, "one index per dimension"),
        ({"compare_outputs": compare_relative_diff}, "max_abs_diff"),
        ({"compare_outputs": lambda r, c, atol=1e-5, rtol=1e-4: torch.allclose(r, c, rtol, atol)},
         "three values"),
        ({"compare_outputs": compare_worst_by_ratio}, "furthest past its allowance"),
        ({"compare_outputs": compare_none_when_ok}, "one index per dimension"),
        ({"compare_outputs": compare_signed_diff}, "an absolute difference"),
        ({"compare_outputs": compare_ok_unless_over}, "A NaN or an infinity in the candidate"),
        ({"compare_outputs": compare_strictly_below}, "`ok` of"),
        ({"compare_outputs": compare_finite_max}, "(NaN if a difference is NaN)"),
        ({"compare_outputs": compare_abs_in_place},
         "changed its argument `reference` in place"),
    ]),
    Case(ModelSize, right={"model_size_bytes": model_size_bytes}, wrong=[
        ({"model_size_bytes": lambda m: sum(p.numel() * p.element_size()
                                            for p in m.parameters())}, "the parameters alone"),
        ({"model_size_bytes": lambda m: 4 * sum(t.numel() for t in [*m.parameters(),
                                                                     *m.buffers()])},
         "4 bytes per element"),
        ({"model_size_bytes": lambda m: sum(t.numel() for t in m.state_dict().values())},
         "element_size"),
        ({"model_size_bytes": lambda m: float(model_size_bytes(m))}, "the type of"),
        ({"model_size_bytes": size_of_saved_file}, "element_size"),
        ({"model_size_bytes": size_counted_per_module}, "element_size"),
        ({"model_size_bytes": size_top_level_buffers}, "element_size"),
        ({"model_size_bytes": size_per_state_dict_entry}, "counts a shared weight twice"),
        ({"model_size_bytes": size_per_storage}, "counts a shared weight twice"),
        ({"model_size_bytes": size_after_float}, "changed its argument `model"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def test_the_given_model_files_are_not_attempted():
    """Does the untouched spot-the-bug code say "not attempted", not "incorrect"?"""
    for seed in (0, 1, 12345):
        result = run_check(SafeLoading(), {"save_model": given_save_model,
                                          "load_model": given_load_model}, seed=seed)
        assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
        assert "given code" in result.text()


def test_other_right_answers_pass():
    """Are the other idiomatic answers accepted too?"""
    static_dim = torch.export.Dim.DYNAMIC
    others = [
        (Checkpoint(), {"save_checkpoint": save_everything_more,
                        "load_checkpoint": load_everything_more}),
        (Checkpoint(), {"save_checkpoint": save_epoch_as_tensor,
                        "load_checkpoint": load_checkpoint}),
        (Checkpoint(), {"save_checkpoint": save_checkpoint, "load_checkpoint": load_default}),
        (ExportDynamic(), {"export_dynamic_batch": lambda m, x: torch.export.export(
            m, (x,), dynamic_shapes=({0: static_dim},))}),
        (ExportDynamic(), {"export_dynamic_batch": lambda m, x: torch.export.export(
            m, (x,), dynamic_shapes={"input": {0: torch.export.Dim("n", min=1, max=4096)}})}),
        (Parity(), {"compare_outputs": compare_allclose}),
        (Parity(), {"compare_outputs": compare_numpy}),
        (ExportDynamic(), {"export_dynamic_batch": lambda m, x: torch.export.export(
            m, (x,), dynamic_shapes=[{0: torch.export.Dim.AUTO}])}),
        (ModelSize(), {"model_size_bytes": lambda m: sum(
            t.nbytes for t in [*m.parameters(), *m.buffers()])}),
        (ModelSize(), {"model_size_bytes": lambda m: sum({  # each storage once
            t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
            for t in m.state_dict().values()}.values())}),
        (ModelSize(), {"model_size_bytes": lambda m: sum(
            t.nbytes for t in {id(t): t for t in m.parameters()}.values()) + sum(
            b.numel() * b.element_size() for b in m.buffers())}),
        (SafeLoading(), {"save_model": lambda m, p: torch.save(
            {k: v.clone() for k, v in m.state_dict().items()}, p),
            "load_model": lambda m, p: m.eval() if m.load_state_dict(torch.load(p)) else m}),
    ]
    for exercise, answer in others:
        for seed in (0, 1, 12345):
            result = run_check(exercise, answer, seed=seed)
            assert result.outcome is Outcome.PASSED, result.text()


def test_load_errors_reach_the_learner_short_and_without_colour_codes():
    """Does torch.load's weights-only error reach the learner as one plain line?"""
    answers = [
        (SafeLoading(), {"save_model": save_model, "load_model": load_model_of_a_pickle}),
        (SafeLoading(), {"save_model": given_save_model, "load_model": load_model}),
        (Checkpoint(), {"save_checkpoint": save_model_object,
                        "load_checkpoint": load_checkpoint}),
    ]
    for exercise, answer in answers:
        text = run_check(exercise, answer, seed=0).text()
        assert "\x1b" not in text, text
        assert "Unsupported global: GLOBAL" in text, text
        assert "PyTorch 2.6" not in text, text  # the long advice is left out


def test_probes_write_under_tmpdir_as_it_is_now(tmp_path, monkeypatch):
    """Do the probes' files go to $TMPDIR even when `tempfile` picked another folder
    before it was set (as in the grader's child, which may write only in its own)?"""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", "/nonexistent-folder")
    result = run_check(SafeLoading(), {"save_model": save_model, "load_model": load_model},
                      seed=0)
    assert result.outcome is Outcome.PASSED, result.text()
