"""APIs that were removed or are no longer the advice: the linter refuses them in a question's text
unless the question is about migrating (tagged `migration` or `legacy`)."""

from __future__ import annotations

import re

# APIs that were removed or are no longer the advice; allowed only in an answer about migrating.
REMOVED_APIS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"tf\.(compat\.v1\.)?Session\b"), "tf.Session (removed in TensorFlow 2)"),
    (re.compile(r"tf\.(compat\.v1\.)?placeholder\b"), "tf.placeholder (removed in TensorFlow 2)"),
    (re.compile(r"tf\.estimator\b"), "tf.estimator (removed in TensorFlow 2.16)"),
    (re.compile(r"load_boston\b"), "load_boston (removed in scikit-learn 1.2)"),
    (
        re.compile(r"OneHotEncoder\([^)]*\bsparse\s*="),
        "OneHotEncoder(sparse=) (use sparse_output=)",
    ),
    (re.compile(r"from\s+keras\.wrappers\b|keras\.wrappers\.scikit_learn"), "keras.wrappers"),
    (re.compile(r"(?i)save[^.\n]{0,40}\.h5\b"), "saving to .h5 (Keras 3 saves to .keras)"),
    (re.compile(r"\bfit_generator\b"), "fit_generator (use fit)"),
    (re.compile(r"\bpredict_classes\b"), "predict_classes (removed; use argmax of predict)"),
    (re.compile(r"\btf\.contrib\b"), "tf.contrib (removed in TensorFlow 2)"),
    (re.compile(r"sklearn\.externals\b"), "sklearn.externals (import joblib directly)"),
    (re.compile(r"sklearn\.(cross_validation|grid_search)\b"), "sklearn.cross_validation/grid_search"),
    (re.compile(r"\bplot_confusion_matrix\b"), "plot_confusion_matrix (use ConfusionMatrixDisplay)"),
    (re.compile(r"layers\.experimental\.preprocessing"), "keras.layers.experimental.preprocessing"),
)
MIGRATION_TAGS = {"migration", "legacy"}


def removed_api_uses(text: str, first_line: int) -> list[tuple[int, str]]:
    """Return (line, message) for every removed API named in text from first_line on."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    # Most files name none of them: one search of the whole text per pattern rules a pattern out
    # (a match on one line is also a match in the text) instead of one search per line, which was
    # the slowest step of loading a large bank. Only the patterns found are searched line by line.
    rest = "\n".join(lines[first_line - 1 :])
    present = [(pattern, what) for pattern, what in REMOVED_APIS if pattern.search(rest)]
    if not present:
        return found
    for number in range(first_line, len(lines) + 1):
        for pattern, what in present:
            if pattern.search(lines[number - 1]):
                message = f"uses a removed API: {what}; tag the question 'migration' if it is about migrating"
                found.append((number, message))
    return found
