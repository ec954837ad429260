"""`History`: what happened during training, epoch by epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")


@dataclass
class History:
    """What happened during `fit`: one entry per epoch in each list, plus every batch loss.

    A value is None when it was not measured (no validation loader, or a task
    without class labels, such as regression, has no accuracy).
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)

    def add_epoch(self, **values: float | None) -> None:
        """Append one epoch; `values` holds one value for each column of the table."""
        for name in _COLUMNS:
            getattr(self, name).append(values[name])

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict:
        """The last epoch as a dict, e.g. ``{"epoch": 3, "train_loss": 0.21, ...}``."""
        if not self.epoch:
            raise ValueError("This History is empty: fit() has not run any epoch yet.")
        return self._row(len(self.epoch) - 1)

    def best(self, metric: str = "val_loss") -> dict:
        """The epoch with the best `metric`: lowest for a loss, highest for an accuracy."""
        allowed = ("train_loss", "train_acc", "val_loss", "val_acc")
        if metric not in allowed:
            raise ValueError(f"best() got metric={metric!r}; use one of {', '.join(allowed)}.")
        values = getattr(self, metric)
        measured = [i for i, value in enumerate(values) if value is not None]
        if not measured:
            raise ValueError(
                f"No epoch has a `{metric}` value. Validation metrics need "
                "fit(..., val_loader=...); accuracy needs class labels as targets."
            )
        pick = min if metric.endswith("loss") else max
        return self._row(pick(measured, key=lambda i: values[i]))

    def as_dict(self) -> dict[str, list]:
        """One plain list per column, plus `batch_losses` (a list as long as all batches)."""
        data = {name: list(getattr(self, name)) for name in _COLUMNS}
        data["batch_losses"] = list(self.batch_losses)
        return data

    def _row(self, i: int) -> dict:
        return {name: getattr(self, name)[i] for name in _COLUMNS}

    def __repr__(self) -> str:
        lines = [f"History({len(self)} epochs, {len(self.batch_losses)} batches)"]
        if self.epoch:
            lines.append("  ".join(f"{name:>10}" for name in _COLUMNS))
        rows = list(range(len(self)))
        if len(rows) > 10:  # keep the table short: first and last five epochs
            rows = rows[:5] + [None] + rows[-5:]
        for i in rows:
            cells = ["..."] if i is None else [_cell(v) for v in self._row(i).values()]
            lines.append("  ".join(f"{cell:>10}" for cell in cells))
        return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.4f}"
