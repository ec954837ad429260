"""Unit-test settings: plots on the Agg backend, nothing shown on screen."""

import matplotlib

matplotlib.use("Agg")
