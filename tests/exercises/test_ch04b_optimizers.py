"""Exercises of chapter 04b, each with a right, a blank, a missing and wrong answers."""

import math
import warnings

import numpy as np
import torch
from exercise_harness import Case, chinese_test, run_solution, solution_names, standard_tests
from torch import nn

from labkit.check import Outcome, run_check
from labkit.exercises.ch04b_optimizers import (
    AdamStep,
    AdamWStep,
    ClipGlobalNorm,
    DecayGroups,
    FixTrainLoop,
    MomentumStep,
    PickLearningRate,
    WarmupCosine,
    given_train,
    reference_schedule,
)

# As a notebook's first cell could capture them, before any check runs.
CapturedSGD, CapturedAdam, CapturedAdamW = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
captured_clip = torch.nn.utils.clip_grad_norm_

# --- right answers -----------------------------------------------------------


def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.01):
    return adam_step(param * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps)


def clip_by_global_norm(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads], total


def decay_groups(model, weight_decay):
    trained = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trained if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trained if p.ndim < 2], "weight_decay": 0.0}]


def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2


def train(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
        scheduler.step()
    return model


# --- plausible wrong answers ---------------------------------------------------


def momentum_dampens_first_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = (0 if buf is None else momentum * buf) + (1 - dampening) * grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf


def momentum_ignores_dampening(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf


def momentum_nesterov_old_buf(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    old = torch.zeros_like(grad) if buf is None else buf
    buf = grad.clone() if buf is None else momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * old if nesterov else buf
    return param - lr * direction, buf


def momentum_ema(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = (1 - momentum) * grad if buf is None else momentum * buf + (1 - momentum) * grad
    return param - lr * buf, buf


def momentum_lr_in_buffer(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    # The "v = mu v + lr g; param -= v" form: the same path, but a different buffer.
    buf = lr * grad if buf is None else momentum * buf + lr * (1 - dampening) * grad
    direction = lr * grad + momentum * buf if nesterov else buf
    return param - direction, buf


def momentum_nesterov_swapped(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + (1 - dampening) * grad
    direction = buf + momentum * grad if nesterov else buf
    return param - lr * direction, buf


def momentum_dampens_buffer(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.clone() if buf is None else momentum * (1 - dampening) * buf + grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf


def momentum_with_torch(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    p = nn.Parameter(param.clone())
    optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening,
                                nesterov=nesterov)
    if buf is not None:
        optimizer.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["momentum_buffer"]


def momentum_functional(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    p, bufs = param.clone(), [None if buf is None else buf.clone()]
    torch.optim._functional.sgd([p], [grad], bufs, weight_decay=0.0, momentum=momentum,
                                lr=lr, dampening=dampening, nesterov=nesterov, maximize=False)
    return p, bufs[0]


def momentum_hides_torch(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    try:
        return momentum_with_torch(param, grad, buf, lr, momentum, dampening, nesterov)
    except Exception:
        return sgd_momentum_step(param, grad, buf, lr, momentum, dampening, nesterov)


def adam_no_bias_correction(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (v.sqrt() + eps), m, v


def adam_t_plus_one(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param, grad, m, v, t + 1, lr, beta1, beta2, eps)


def adam_t_minus_one(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param, grad, m, v, t - 1, lr, beta1, beta2, eps)


def adam_eps_inside(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat + eps).sqrt(), m, v


def adam_returns_hats(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m_hat, v_hat


def adam_betas_swapped(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param, grad, m, v, t, lr, beta2, beta1, eps)


def adam_corrects_m_only(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (v.sqrt() + eps), m, v


def adam_no_sqrt(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v


def adam_with_torch(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = nn.Parameter(param.clone())
    optimizer = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.state[p].update(step=torch.tensor(float(t - 1)), exp_avg=m.clone(),
                              exp_avg_sq=v.clone())
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["exp_avg"], optimizer.state[p]["exp_avg_sq"]


def adamw_as_l2(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.01):
    return adam_step(param, grad + weight_decay * param, m, v, t, lr, beta1, beta2, eps)


def adamw_decay_without_lr(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                           weight_decay=0.01):
    return adam_step(param * (1 - weight_decay), grad, m, v, t, lr, beta1, beta2, eps)


def adamw_decay_after(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                      weight_decay=0.01):
    new, m, v = adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)
    return new - lr * weight_decay * new, m, v


def adamw_subtracts_constant(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999,
                              eps=1e-8, weight_decay=0.01):
    return adam_step(param - lr * weight_decay, grad, m, v, t, lr, beta1, beta2, eps)


def adamw_l2_and_decoupled(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                           weight_decay=0.01):
    return adam_step(param * (1 - lr * weight_decay), grad + weight_decay * param, m, v, t, lr,
                     beta1, beta2, eps)


def adamw_with_torch(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=0.01):
    p = nn.Parameter(param.clone())
    optimizer = torch.optim.AdamW([p], lr=lr, betas=(beta1, beta2), eps=eps,
                                  weight_decay=weight_decay)
    optimizer.state[p].update(step=torch.tensor(float(t - 1)), exp_avg=m.clone(),
                              exp_avg_sq=v.clone())
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["exp_avg"], optimizer.state[p]["exp_avg_sq"]


def clip_per_tensor(grads, max_norm):
    out = [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads]
    return out, torch.sqrt(sum((g**2).sum() for g in grads))


def clip_returns_clipped_norm(grads, max_norm):
    clipped, _ = clip_by_global_norm(grads, max_norm)
    return clipped, torch.sqrt(sum((g**2).sum() for g in clipped))


def clip_returns_sum_of_norms(grads, max_norm):
    clipped, _ = clip_by_global_norm(grads, max_norm)
    return clipped, sum(g.norm() for g in grads)


def clip_always_rescales(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    return [g * max_norm / total for g in grads], total


def clip_by_value(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    return [g.clamp(-max_norm, max_norm) for g in grads], total


def clip_squared_norm(grads, max_norm):
    total = sum((g**2).sum() for g in grads)
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads], total


def clip_with_torch(grads, max_norm):
    params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], total


def schedule_one_step_ahead(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    return warmup_cosine(min(step + 1, total_steps), warmup_steps, total_steps, base_lr, min_lr)


def schedule_warmup_from_zero(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    return warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr)


def schedule_cosine_over_total(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2


def schedule_ignores_min_lr(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    return warmup_cosine(step, warmup_steps, total_steps, base_lr, 0.0)


def schedule_warmup_over_one_more(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / (warmup_steps + 1)
    return warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr)


def schedule_min_lr_on_top(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + base_lr * (1 + math.cos(math.pi * p)) / 2


def train_zero_grad_only(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
            scheduler.step()
    return model


def train_scheduler_only(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        for x, y in batches:
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
        scheduler.step()
    return model


def train_scheduler_first(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        with warnings.catch_warnings():  # torch warns about this order, rightly
            warnings.simplefilter("ignore")
            scheduler.step()  # before the epoch's optimizer steps: the first epoch runs at lr/2
        for x, y in batches:
            optimizer.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
    return model


def train_a_new_model(model, batches, epochs, lr=0.1):
    return train(nn.Linear(3, 2), batches, epochs, lr)  # trains another instance


def train_zero_grad_after_backward(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        for x, y in batches:
            nn.MSELoss()(model(x), y).backward()
            optimizer.zero_grad()  # wipes the gradient the step was about to use
            optimizer.step()
        scheduler.step()
    return model


def train_fresh_optimizer_each_epoch(model, batches, epochs, lr=0.1):
    for epoch in range(epochs):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr * 0.5**epoch, momentum=0.9)
        for x, y in batches:
            optimizer.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
    return model


def train_returns_nothing(model, batches, epochs, lr=0.1):
    train(model, batches, epochs, lr)


# --- wrong answers of the classes every check must catch ------------------------


def momentum_in_place(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    """Right values; the caller's buffer is updated in place."""
    if buf is None:
        buf = torch.clone(grad).detach()
    else:
        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
    param = param.add(grad.add(buf, alpha=momentum) if nesterov else buf, alpha=-lr)
    return param, buf


def momentum_param_in_place(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    """Right values; the caller's parameter is stepped in place, as torch.optim does."""
    buf = grad.clone() if buf is None else momentum * buf + (1 - dampening) * grad
    param -= lr * (grad + momentum * buf if nesterov else buf)
    return param, buf


def momentum_captured_sgd(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    p = nn.Parameter(param.clone())
    optimizer = CapturedSGD([p], lr=lr, momentum=momentum, dampening=dampening,
                            nesterov=nesterov)
    if buf is not None:
        optimizer.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["momentum_buffer"]


def momentum_fused(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    """The private fused op behind torch.optim.SGD(fused=True), called directly."""
    p, bufs = param.clone(), [grad.clone() if buf is None else buf.clone()]
    torch._fused_sgd_([p], [grad], bufs, weight_decay=0.0, momentum=momentum, lr=lr,
                      dampening=dampening, nesterov=nesterov, maximize=False,
                      is_first_step=buf is None)
    return p, bufs[0]


def momentum_fixed_lr(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    return sgd_momentum_step(param, grad, buf, 0.1, momentum, dampening, nesterov)


def momentum_float32(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    new, buf = sgd_momentum_step(param.float(), grad.float(), buf, lr, momentum, dampening,
                                 nesterov)
    return new, buf


def adam_in_place(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Right values; m, v and param updated in the caller's tensors."""
    m.mul_(beta1).add_((1 - beta1) * grad)
    v.mul_(beta2).add_((1 - beta2) * grad * grad)
    param -= lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps)
    return param, m, v


def adam_squares_grad_in_place(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999,
                               eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.mul_(grad)  # the caller's gradient is now squared
    return param - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), m, v


def adam_captured(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = nn.Parameter(param.clone())
    optimizer = CapturedAdam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.state[p].update(step=torch.tensor(float(t - 1)), exp_avg=m.clone(),
                              exp_avg_sq=v.clone())
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["exp_avg"], optimizer.state[p]["exp_avg_sq"]


def adam_fused(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The private fused op behind torch.optim.Adam(fused=True), called directly."""
    p, m, v = param.clone(), m.clone(), v.clone()
    torch._fused_adam_([p], [grad], [m], [v], [], [torch.tensor(float(t))], amsgrad=False,
                       lr=lr, beta1=beta1, beta2=beta2, weight_decay=0.0, eps=eps,
                       maximize=False)
    return p, m, v


def adam_default_betas(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param, grad, m, v, t, lr, 0.9, 0.999, eps)


def adam_float32(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param.float(), grad.float(), m.float(), v.float(), t, lr, beta1, beta2,
                     eps)


def adamw_in_place(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                   weight_decay=0.01):
    param.mul_(1 - lr * weight_decay)  # as torch.optim.AdamW does, but on the caller's
    return adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)


def adamw_captured(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                   weight_decay=0.01):
    p = nn.Parameter(param.clone())
    optimizer = CapturedAdamW([p], lr=lr, betas=(beta1, beta2), eps=eps,
                              weight_decay=weight_decay)
    optimizer.state[p].update(step=torch.tensor(float(t - 1)), exp_avg=m.clone(),
                              exp_avg_sq=v.clone())
    p.grad = grad.clone()
    optimizer.step()
    return p.detach(), optimizer.state[p]["exp_avg"], optimizer.state[p]["exp_avg_sq"]


def adamw_fused(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.01):
    p, m, v = param.clone(), m.clone(), v.clone()
    torch._fused_adamw_([p], [grad], [m], [v], [], [torch.tensor(float(t))], amsgrad=False,
                        lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps,
                        maximize=False)
    return p, m, v


def adamw_fixed_decay(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                      weight_decay=0.01):
    return adamw_step(param, grad, m, v, t, lr, beta1, beta2, eps, 0.01)


def clip_in_place(grads, max_norm):
    """torch's own way: the norm of the per-tensor norms, no 1e-6, scaled in place: the
    caller's gradients change, though the text asks for new tensors."""
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g)
                                                  for g in grads]))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return grads, total.item()


def clip_captured(grads, max_norm):
    params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    total = captured_clip(params, max_norm)
    return [p.grad for p in params], total


def clip_total_norm_helper(grads, max_norm):
    total = torch.nn.utils.get_total_norm(grads)
    return [g * min(1.0, max_norm / (float(total) + 1e-6)) for g in grads], total


def clip_fixed_max_norm(grads, max_norm):
    return clip_by_global_norm(grads, 1.0)


def groups_by_name(model, weight_decay):
    """"bias" in the name: a norm layer's weight is decayed."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [{"params": [p for n, p in named if "bias" not in n], "weight_decay": weight_decay},
            {"params": [p for n, p in named if "bias" in n], "weight_decay": 0.0}]


def groups_keep_frozen(model, weight_decay):
    return [{"params": [p for p in model.parameters() if p.ndim >= 2],
             "weight_decay": weight_decay},
            {"params": [p for p in model.parameters() if p.ndim < 2], "weight_decay": 0.0}]


def groups_default_decay(model, weight_decay):
    """The second group without its own weight_decay: AdamW's 0.01 applies."""
    groups = decay_groups(model, weight_decay)
    del groups[1]["weight_decay"]
    return groups


def groups_overlap(model, weight_decay):
    groups = decay_groups(model, weight_decay)
    groups[1]["params"] = [p for p in model.parameters() if p.requires_grad]
    return groups


def groups_freeze_biases(model, weight_decay):
    """Turns the other parameters off instead of grouping them: the model changes."""
    for p in model.parameters():
        if p.ndim < 2:
            p.requires_grad_(False)
    return decay_groups(model, weight_decay)


def groups_swapped(model, weight_decay):
    return decay_groups(model, weight_decay)[::-1]


def groups_fixed_decay(model, weight_decay):
    return decay_groups(model, 0.05)


def groups_modules_by_type(model, weight_decay):
    """Decays the parameters of Linear and Conv2d layers, biases included."""
    decay, other = [], []
    for module in model.modules():
        own = [p for p in module.parameters(recurse=False) if p.requires_grad]
        (decay if isinstance(module, (nn.Linear, nn.Conv2d)) else other).extend(own)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": other, "weight_decay": 0.0}]


def schedule_fixed_rates(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    """The rates of the notebook's example, written in."""
    return warmup_cosine(step, warmup_steps, total_steps, 0.1, 0.0)


def train_normalises_batches(model, batches, epochs, lr=0.1):
    """Scales each batch's inputs in place: the caller's batches change."""
    for x, _y in batches:
        x.div_(x.std())
    return train(model, batches, epochs, lr)


def train_fixed_lr(model, batches, epochs, lr=0.1):
    return train(model, batches, epochs, 0.1)


CASES = [
    Case(MomentumStep, right={"sgd_momentum_step": sgd_momentum_step}, wrong=[
        ({"sgd_momentum_step": momentum_dampens_first_step}, "no dampening"),
        ({"sgd_momentum_step": momentum_ignores_dampening}, "(1 - dampening)"),
        ({"sgd_momentum_step": momentum_nesterov_old_buf}, "nesterov=True"),
        ({"sgd_momentum_step": momentum_ema}, "the values of"),
        ({"sgd_momentum_step": momentum_lr_in_buffer}, "a copy of the gradient"),
        ({"sgd_momentum_step": momentum_nesterov_swapped}, "nesterov=True"),
        ({"sgd_momentum_step": momentum_dampens_buffer}, "(1 - dampening) * grad"),
        ({"sgd_momentum_step": momentum_with_torch}, "`torch.optim.sgd.SGD`, from `torch.optim"),
        ({"sgd_momentum_step": momentum_functional}, "`torch.optim.sgd.sgd`, from `torch.optim"),
        ({"sgd_momentum_step": momentum_hides_torch}, "from `torch.optim"),
        ({"sgd_momentum_step": lambda *a, **k: sgd_momentum_step(*a, **k)[0]},
         "the type of"),
        ({"sgd_momentum_step": momentum_in_place}, "changed its argument `buf` in place"),
        ({"sgd_momentum_step": momentum_param_in_place},
         "changed its argument `param` in place"),
        ({"sgd_momentum_step": momentum_captured_sgd}, "`torch.optim.sgd.SGD`, from"),
        ({"sgd_momentum_step": momentum_fused}, "`torch.ops.aten._fused_sgd_`"),
        ({"sgd_momentum_step": momentum_fixed_lr}, "the new `param`"),
        ({"sgd_momentum_step": momentum_float32}, "the dtype of"),
    ]),
    Case(AdamStep, right={"adam_step": adam_step}, wrong=[
        ({"adam_step": adam_no_bias_correction}, "without bias correction"),
        ({"adam_step": adam_t_plus_one}, "the step for t ="),
        ({"adam_step": adam_t_minus_one}, "NaN"),
        ({"adam_step": adam_eps_inside}, "inside the square root"),
        ({"adam_step": adam_returns_hats}, "That is m_hat: return m itself"),
        ({"adam_step": adam_betas_swapped}, "Return the new m: `m = beta1 * m"),
        ({"adam_step": adam_corrects_m_only}, "bias correction makes"),
        ({"adam_step": adam_no_sqrt}, "bias correction makes"),
        ({"adam_step": adam_with_torch}, "`torch.optim.adam.Adam`, from `torch.optim"),
        ({"adam_step": adam_in_place}, "changed its argument `param` in place"),
        ({"adam_step": adam_squares_grad_in_place}, "changed its argument `grad` in place"),
        ({"adam_step": adam_captured}, "`torch.optim.adam.Adam`, from"),
        ({"adam_step": adam_fused}, "`torch.ops.aten._fused_adam_`"),
        ({"adam_step": adam_default_betas}, "the values of"),
        ({"adam_step": adam_float32}, "the dtype of"),
    ]),
    Case(AdamWStep, right={"adamw_step": adamw_step, "adam_step": adam_step}, wrong=[
        ({"adamw_step": adamw_as_l2}, "L2"),
        ({"adamw_step": adamw_decay_without_lr}, "scaled by the learning rate"),
        ({"adamw_step": adamw_decay_after}, "before the Adam step"),
        ({"adamw_step": lambda p, g, m, v, t, lr, beta1, beta2, eps, weight_decay: adam_step(
            p, g, m, v, t, lr, beta1, beta2, eps)}, "plain Adam"),
        ({"adamw_step": adamw_subtracts_constant}, "multiply the parameter by"),
        ({"adamw_step": adamw_l2_and_decoupled}, "take the Adam step with the gradient as it"),
        ({"adamw_step": adamw_with_torch}, "`torch.optim.adamw.AdamW`, from `torch.optim"),
        ({"adamw_step": adamw_in_place}, "changed its argument `param` in place"),
        ({"adamw_step": adamw_captured}, "`torch.optim.adamw.AdamW`, from"),
        ({"adamw_step": adamw_fused}, "`torch.ops.aten._fused_adamw_`"),
        ({"adamw_step": adamw_fixed_decay}, "the values of"),
    ]),
    Case(DecayGroups, right={"decay_groups": decay_groups}, wrong=[
        ({"decay_groups": groups_by_name}, "not by name"),
        ({"decay_groups": groups_keep_frozen}, "no parameter with `requires_grad=False`"),
        ({"decay_groups": groups_default_decay}, "fills in its default"),
        ({"decay_groups": groups_overlap}, "appears in more than one group"),
        ({"decay_groups": groups_freeze_biases}, "changed its argument `model"),
        ({"decay_groups": groups_swapped}, "the parameters of group 0"),
        ({"decay_groups": groups_fixed_decay}, "the `weight_decay` of group 0"),
        ({"decay_groups": groups_modules_by_type}, "the parameters of group 0"),
        ({"decay_groups": lambda model, weight_decay: list(model.parameters())}, "Two groups"),
        ({"decay_groups": lambda model, weight_decay: {"params": []}}, "a list of two dicts"),
    ]),
    Case(ClipGlobalNorm, right={"clip_by_global_norm": clip_by_global_norm}, wrong=[
        ({"clip_by_global_norm": clip_per_tensor}, "not each tensor's own norm"),
        ({"clip_by_global_norm": clip_returns_clipped_norm}, "*before* clipping"),
        ({"clip_by_global_norm": clip_returns_sum_of_norms}, "*before* clipping"),
        ({"clip_by_global_norm": clip_always_rescales}, "come back unchanged"),
        ({"clip_by_global_norm": clip_by_value}, "not each tensor's own norm"),
        ({"clip_by_global_norm": clip_squared_norm}, "the square root of the sum"),
        ({"clip_by_global_norm": clip_with_torch},
         "`torch.nn.utils.clip_grad.clip_grad_norm_`, from gradient clipping"),
        ({"clip_by_global_norm": clip_in_place}, "changed its argument `grads[0]` in place"),
        ({"clip_by_global_norm": clip_captured}, "`torch.nn.utils.clip_grad.clip_grad_norm_`"),
        ({"clip_by_global_norm": clip_total_norm_helper}, "from gradient clipping"),
        ({"clip_by_global_norm": clip_fixed_max_norm}, "the values of"),
    ]),
    Case(WarmupCosine, right={"warmup_cosine": warmup_cosine}, wrong=[
        ({"warmup_cosine": schedule_one_step_ahead}, "warm-up step number 1 of"),
        ({"warmup_cosine": schedule_warmup_from_zero}, "Found: 0\n"),
        ({"warmup_cosine": schedule_cosine_over_total}, "in the cosine part"),
        ({"warmup_cosine": schedule_ignores_min_lr}, "reaches min_lr"),
        ({"warmup_cosine": schedule_warmup_over_one_more}, "warm-up step number 1 of"),
        ({"warmup_cosine": schedule_min_lr_on_top}, "in the cosine part"),
        ({"warmup_cosine": schedule_fixed_rates}, "warmup_cosine("),
    ]),
    Case(PickLearningRate, right={"pick_lr": 0.07}, wrong=[
        ({"pick_lr": 0.1}, "Too large"),
        ({"pick_lr": 0.081}, "Too large"),
        ({"pick_lr": 0.001}, "Too slow"),
        ({"pick_lr": 0.025}, "Too slow: each step multiplies the flat direction"),
        ({"pick_lr": 0.079}, "Too close to the limit"),
        ({"pick_lr": 0.08}, "Too close to the limit"),
        ({"pick_lr": -0.05}, "a positive learning rate"),
        ({"pick_lr": "0.05"}, "the type of"),
        ({"pick_lr": torch.tensor([0.05, 0.06])}, "a single number"),
        ({"pick_lr": float("nan")}, "a positive learning rate"),
        ({"pick_lr": float("inf")}, "a positive learning rate"),
    ]),
    Case(FixTrainLoop, right={"train": train}, wrong=[
        ({"train": train_zero_grad_only}, "halved once per epoch"),
        ({"train": train_scheduler_only}, "a fresh gradient at every step"),
        ({"train": train_scheduler_first}, "change only the two bugs"),
        ({"train": train_returns_nothing}, "the trained model"),
        ({"train": train_a_new_model}, "not a new one"),
        ({"train": train_zero_grad_after_backward}, "between `backward()` and `step()`"),
        ({"train": train_fresh_optimizer_each_epoch}, "change only the two bugs"),
        ({"train": train_normalises_batches}, "changed its argument `batches[0][0]` in place"),
        ({"train": train_fixed_lr}, "its learning rate `lr`"),
    ]),
]

# The notebook's names when a solution runs: math, and the learner's own adam_step
# (which the AdamW exercise builds on).
_NAMES = solution_names(math=math)
_NAMES["adam_step"] = run_solution(AdamStep, _NAMES)["adam_step"]
(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES, names=_NAMES)
test_chinese = chinese_test(CASES)


def test_the_given_loop_is_not_attempted():
    """Does the untouched spot-the-bug loop say "not attempted", not "incorrect"?"""
    for seed in (0, 1, 12345):
        result = run_check(FixTrainLoop(), {"train": given_train}, seed=seed)
        assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
        assert "given code" in result.text()


def test_other_right_answers_pass():
    """Are other correct ways of writing the formulas accepted?"""

    def adam_torch_form(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        # torch's own arrangement: the step size carries bias correction 1.
        m = m.mul(beta1).add(grad, alpha=1 - beta1)
        v = v.mul(beta2).addcmul(grad, grad, value=1 - beta2)
        denom = v.sqrt() / math.sqrt(1 - beta2**t) + eps
        return param.addcdiv(m, denom, value=-lr / (1 - beta1**t)), m, v

    def clip_with_vector_norm(grads, max_norm):
        total = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))
        if total > max_norm:
            grads = [g * (max_norm / total) for g in grads]
        return list(grads), float(total)

    def clip_on_copies(grads, max_norm):
        # In place, but on copies: the caller's gradients stay as they were.
        grads = [g.clone() for g in grads]
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g)
                                                      for g in grads]))
        if total > max_norm:
            for g in grads:
                g.mul_(max_norm / total)
        return grads, total.item()

    def adam_on_copies(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        param, m, v = param.clone(), m.clone(), v.clone()
        m.mul_(beta1).add_((1 - beta1) * grad)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        param.addcdiv_(m / (1 - beta1**t), (v / (1 - beta2**t)).sqrt().add_(eps), value=-lr)
        return param, m, v

    def train_zero_grad_at_the_end(model, batches, epochs, lr=0.1):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        for _ in range(epochs):
            for x, y in batches:
                nn.MSELoss()(model(x), y).backward()
                optimizer.step()
                model.zero_grad()
            scheduler.step()
        return model

    def schedule_with_torch(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
        return reference_schedule(warmup_steps, total_steps, base_lr, min_lr)[step]

    def groups_by_ndim_loop(model, weight_decay):
        decay, no_decay = [], []
        for _name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            (no_decay if p.ndim <= 1 else decay).append(p)
        return [dict(params=decay, weight_decay=weight_decay),
                dict(params=no_decay, weight_decay=0)]

    def groups_as_tuple_generators(model, weight_decay):
        trained = tuple(filter(lambda p: p.requires_grad, model.parameters()))
        return ({"params": (p for p in trained if p.dim() > 1), "weight_decay": weight_decay},
                {"params": (p for p in trained if p.dim() == 1), "weight_decay": 0.0})

    others = [
        (AdamStep(), {"adam_step": adam_torch_form}),
        (AdamStep(), {"adam_step": adam_on_copies}),
        (AdamWStep(), {"adamw_step": lambda p, g, m, v, t, lr, beta1, beta2, eps, weight_decay:
                       adam_torch_form(p - lr * weight_decay * p, g, m, v, t, lr, beta1,
                                       beta2, eps)}),
        (ClipGlobalNorm(), {"clip_by_global_norm": clip_with_vector_norm}),
        (WarmupCosine(), {"warmup_cosine": schedule_with_torch}),
        (PickLearningRate(), {"pick_lr": 2 / 26}),
        (PickLearningRate(), {"pick_lr": 0.04}),
        (DecayGroups(), {"decay_groups": groups_by_ndim_loop}),
        (DecayGroups(), {"decay_groups": groups_as_tuple_generators}),
        (PickLearningRate(), {"pick_lr": np.float32(0.05)}),
        (AdamWStep(), {"adamw_step": lambda p, g, m, v, t, lr, beta1, beta2, eps, weight_decay: (
            lambda new, m, v: (new - lr * weight_decay * p, m, v))(
                *adam_step(p, g, m, v, t, lr, beta1, beta2, eps))}),
        (ClipGlobalNorm(), {"clip_by_global_norm": clip_on_copies}),
        (FixTrainLoop(), {"train": train_zero_grad_at_the_end}),
        (PickLearningRate(), {"pick_lr": 2 / torch.linalg.eigvalsh(
            torch.tensor([[13.0, 12.0], [12.0, 13.0]])).sum()}),
    ]
    for exercise, answer in others:
        for seed in (0, 1, 12345):
            result = run_check(exercise, answer, seed=seed)
            assert result.outcome is Outcome.PASSED, result.text()
