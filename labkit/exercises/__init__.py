"""One module per chapter (``chNN_name``), each with an ``EXERCISES`` list in notebook order."""
