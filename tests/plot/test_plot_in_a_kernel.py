"""In a real notebook kernel, does a returned figure show as an image (not as text)?"""

import nbformat
from nbclient import NotebookClient


def test_returned_figure_is_an_image_in_a_kernel():
    nb = nbformat.v4.new_notebook()
    # No pyplot call before the helper: the learner's first plot may come from labkit.
    nb.cells = [nbformat.v4.new_code_cell("from labkit.plot import plot_activations\n"
                                          "plot_activations(['relu'])")]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"]  # shown once, not twice
    assert "image/png" in outputs[0]["data"]
