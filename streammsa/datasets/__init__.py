"""The composed dataset: the monitor's training set, built from real labelled media with its own extractors.

Kept apart from training (as MMSA keeps MMSA-FET apart from MMSA): this package turns corpora into
feature directories that ``streammsa train`` reads; it never trains.

* ``labels``: the one mapping emotion category -> sentiment intensity; ``corpus_labels``: label readers.
* ``fusion_rule`` (+ ``fusion_rule.json``): how per-modality labels combine into the overall label;
  ``fusion_fit`` / ``fusion_report``: fitting it on human judgments (``scripts/fit_fusion_rule.py``).
* ``items`` -> ``extractors`` -> ``pools``: labelled unimodal items, their monitor features, the cache.
* ``compose``: tri-modal windows from the pools; ``build``: the whole build (``scripts/build_composed_dataset.py``).
* ``checks``: sanity checks of a built dataset (``scripts/check_composed_dataset.py``).

docs/composed-dataset.md describes the dataset, docs/labels.md the label mapping and the fusion rule.
"""
