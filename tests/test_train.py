"""Questions about labkit.train: the loop, evaluation, accuracy and History."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from labkit.train import History, accuracy, eval_mode, evaluate, fit


def make_data(n=16, features=4, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)  # (n, features)
    y = torch.randint(0, classes, (n,), generator=g)  # (n,)
    return x, y


def make_model(features=4, classes=3, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))


def copy_weights(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_fit_works_with_a_single_batch_list():
    """Does fit() work with a single batch given as a plain list [(x, y)]?"""
    x, y = make_data()
    model = make_model()
    history = fit(model, [(x, y)], loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2)
    assert history.epoch == [1, 2]
    assert len(history.batch_losses) == 2


def test_fit_works_with_a_loader_of_length_one():
    """Does fit() work with a DataLoader that has exactly one batch?"""
    x, y = make_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=len(x))
    assert len(loader) == 1
    model = make_model()
    history = fit(model, loader, loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert len(history) == 1 and len(history.batch_losses) == 1


def test_loss_drops_when_overfitting_one_batch():
    """Does the loss fall below half its first value after 50 steps on one batch?"""
    x, y = make_data()
    model = make_model()
    history = fit(model, [(x, y)], loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=50)
    assert len(history.batch_losses) == 50
    assert history.batch_losses[-1] < 0.5 * history.batch_losses[0]


def test_fit_with_zero_epochs_leaves_weights_alone():
    """Does fit(epochs=0) leave every weight exactly as it was (no re-initialisation)?"""
    x, y = make_data()
    model = make_model()
    before = copy_weights(model)
    history = fit(model, [(x, y)], loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=0)
    assert len(history) == 0
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]), name


def test_fit_with_zero_learning_rate_leaves_weights_alone():
    """Do weights only change through the learner's optimizer (lr=0 means no change)?"""
    x, y = make_data()
    model = make_model()
    before = copy_weights(model)
    fit(model, [(x, y)], loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.0), epochs=3)
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]), name


def test_evaluate_restores_train_mode_and_uses_eval_without_grad():
    """Does evaluate() run in eval mode without gradients, then restore each layer's mode?"""
    seen = {}

    class Spy(nn.Module):
        def forward(self, x):
            seen["training"] = self.training
            seen["grad"] = torch.is_grad_enabled()
            return x

    frozen = nn.Dropout(0.5)
    model = nn.Sequential(nn.Linear(4, 3), Spy(), frozen)
    model.train()
    frozen.eval()  # a learner froze this layer on purpose
    x, y = make_data()
    result = evaluate(model, [(x, y)], loss_fn=nn.CrossEntropyLoss())
    assert seen == {"training": False, "grad": False}
    assert model.training and model[1].training
    assert not frozen.training
    assert set(result) == {"loss", "accuracy", "examples"} and result["examples"] == 16


def test_evaluate_keeps_eval_mode():
    """Does a model that was in eval mode stay in eval mode after evaluate()?"""
    model = make_model().eval()
    evaluate(model, [make_data()])
    assert not model.training


def test_eval_mode_restores_after_an_error():
    """Does eval_mode() put the mode back even when the block raises?"""
    model = make_model().train()
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError("boom")
    assert model.training


def test_history_records_every_field():
    """Does History hold one value per epoch for each field, plus every batch loss?"""
    x, y = make_data(n=32)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    model = make_model()
    history = fit(model, loader, loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=3,
                  val_loader=[(x, y)])
    data = history.as_dict()
    for name in ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"):
        assert len(data[name]) == 3, name
        assert all(value is not None for value in data[name]), name
    assert len(data["batch_losses"]) == 12
    assert history.last()["epoch"] == 3
    best = history.best("val_loss")
    assert best["val_loss"] == min(history.val_loss)
    assert history.best("val_acc")["val_acc"] == max(history.val_acc)
    text = repr(history)
    assert "History(3 epochs, 12 batches)" in text and "train_loss" in text
    assert len(text.splitlines()) == 5  # title, header, three epochs


def test_history_without_validation_says_so():
    """Does best('val_loss') explain that validation needs a val_loader?"""
    history = History()
    history.add_epoch(epoch=1, train_loss=1.0, train_acc=0.5, val_loss=None, val_acc=None,
                      seconds=0.1)
    with pytest.raises(ValueError, match="val_loader"):
        history.best("val_loss")
    with pytest.raises(ValueError, match="use one of"):
        history.best("loss")


def test_accuracy_multiclass():
    """Does accuracy() take the argmax over classes?"""
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)


def test_accuracy_binary_single_column():
    """Does accuracy() threshold a single logit column at 0, with float 0/1 targets?"""
    logits = torch.tensor([[1.0], [-2.0], [0.5], [-0.1]])
    targets = torch.tensor([1.0, 0.0, 0.0, 0.0])
    assert accuracy(logits, targets) == pytest.approx(3 / 4)
    assert accuracy(logits.reshape(-1), targets.reshape(-1, 1)) == pytest.approx(3 / 4)


def test_accuracy_rejects_regression_targets():
    """Does accuracy() say clearly that it needs class labels?"""
    with pytest.raises(ValueError, match="class labels"):
        accuracy(torch.randn(4, 1), torch.tensor([0.3, 1.7, 2.0, 0.0]))


def test_fit_binary_with_bce_and_float_targets():
    """Does fit() work for a binary task: one output column, float targets, BCEWithLogitsLoss?"""
    x, labels = make_data(classes=2)
    model = make_model(classes=1)
    for targets in (labels.float(), labels.float().unsqueeze(1)):  # (B,) and (B, 1)
        history = fit(model, [(x, targets)], loss_fn=nn.BCEWithLogitsLoss(),
                      optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
                      val_loader=[(x, targets)])
        assert history.train_acc[0] is not None and history.val_acc[0] is not None


def test_fit_regression_has_no_accuracy():
    """Does fit() record accuracy as None when targets are not class labels?"""
    x, _ = make_data()
    targets = x.sum(dim=1, keepdim=True)  # (B, 1) real numbers
    model = make_model(classes=1)
    history = fit(model, [(x, targets)], loss_fn=nn.MSELoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.01))
    assert history.train_acc == [None]


def test_fit_explains_a_loader_without_pairs():
    """Does fit() say what to do when the loader yields tensors instead of (x, y) pairs?"""
    x, _ = make_data()
    model = make_model()
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pairs.*single Tensor of shape"):
        fit(model, [x], loss_fn=nn.CrossEntropyLoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_fit_refuses_a_device_the_model_is_not_on():
    """Does fit() ask the learner to move the model rather than moving it behind their back?"""
    model = make_model()
    with pytest.raises(ValueError, match=r"model\.to\(device\)"):
        fit(model, [make_data()], loss_fn=nn.CrossEntropyLoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1), device="meta")


def test_fast_mode_caps_batches_per_epoch(monkeypatch):
    """Does LABKIT_FAST=1 stop each epoch after 20 batches, and max_batches win over it?"""
    x, y = make_data(n=50)
    loader = DataLoader(TensorDataset(x, y), batch_size=1)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    monkeypatch.setenv("LABKIT_FAST", "1")
    assert len(fit(model, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=opt).batch_losses) == 20
    history = fit(model, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=opt, max_batches=3)
    assert len(history.batch_losses) == 3
    monkeypatch.setenv("LABKIT_FAST", "0")
    assert len(fit(model, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=opt).batch_losses) == 50


def test_quiet_mode_prints_no_progress_bar(monkeypatch, capsys):
    """Does LABKIT_QUIET=1 hide the progress bar that is shown otherwise?"""
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    monkeypatch.setenv("LABKIT_QUIET", "1")
    fit(model, [make_data()], loss_fn=nn.CrossEntropyLoss(), optimizer=opt, progress=True)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("LABKIT_QUIET", "0")
    fit(model, [make_data()], loss_fn=nn.CrossEntropyLoss(), optimizer=opt, live=False)
    assert "batch" in capsys.readouterr().err


def test_quiet_fit_draws_its_curves_once_at_the_end(monkeypatch):
    """In quiet mode, is the live plot drawn exactly once, when training ends?"""
    import labkit.plot.live as live

    monkeypatch.setenv("LABKIT_QUIET", "1")
    calls = []
    monkeypatch.setattr(live.LivePlot, "_redraw", lambda self: calls.append("redraw"))
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, [make_data()], loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=3)
    assert calls == ["redraw"]
