"""APIs that were removed or are no longer the advice: the linter refuses them in a question's text
unless the question is about migrating (tagged `migration` or `legacy`)."""

from __future__ import annotations

import re

# APIs that were removed or are no longer the advice; allowed only in an answer about migrating.
# Each with the text (lowercase) every match contains: a file without it is not searched with the
# pattern. Patterns that start with `\b`, `(?i)` or an alternation cannot use the regex engine's
# fast scan for a leading literal, and searching every file with them was most of a bank's load.
REMOVED_APIS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"tf\.(compat\.v1\.)?Session\b"), "tf.Session (removed in TensorFlow 2)", "session"),
    (
        re.compile(r"tf\.(compat\.v1\.)?placeholder\b"),
        "tf.placeholder (removed in TensorFlow 2)",
        "placeholder",
    ),
    (re.compile(r"tf\.estimator\b"), "tf.estimator (removed in TensorFlow 2.16)", "tf.estimator"),
    (re.compile(r"load_boston\b"), "load_boston (removed in scikit-learn 1.2)", "load_boston"),
    (
        re.compile(r"OneHotEncoder\([^)]*\bsparse\s*="),
        "OneHotEncoder(sparse=) (use sparse_output=)",
        "onehotencoder(",
    ),
    (
        re.compile(r"from\s+keras\.wrappers\b|keras\.wrappers\.scikit_learn"),
        "keras.wrappers",
        "keras.wrappers",
    ),
    (re.compile(r"(?i)save[^.\n]{0,40}\.h5\b"), "saving to .h5 (Keras 3 saves to .keras)", ".h5"),
    (re.compile(r"\bfit_generator\b"), "fit_generator (use fit)", "fit_generator"),
    (
        re.compile(r"\bpredict_classes\b"),
        "predict_classes (removed; use argmax of predict)",
        "predict_classes",
    ),
    (re.compile(r"\btf\.contrib\b"), "tf.contrib (removed in TensorFlow 2)", "tf.contrib"),
    (re.compile(r"sklearn\.externals\b"), "sklearn.externals (import joblib directly)", "sklearn.externals"),
    (
        re.compile(r"sklearn\.(cross_validation|grid_search)\b"),
        "sklearn.cross_validation/grid_search",
        "sklearn.",
    ),
    (
        re.compile(r"\bplot_confusion_matrix\b"),
        "plot_confusion_matrix (use ConfusionMatrixDisplay)",
        "plot_confusion_matrix",
    ),
    (
        re.compile(r"layers\.experimental\.preprocessing"),
        "keras.layers.experimental.preprocessing",
        "layers.experimental.preprocessing",
    ),
)
MIGRATION_TAGS = {"migration", "legacy"}


def removed_api_uses(text: str, first_line: int) -> list[tuple[int, str]]:
    """Return (line, message) for every removed API named in text from first_line on."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    # A pattern whose text is absent from the file is ruled out without searching it, and only the
    # patterns found in the text are searched line by line (a match on a line is one in the text).
    rest = "\n".join(lines[first_line - 1 :])
    lowered = rest.lower()
    present = [
        (pattern, what)
        for pattern, what, needle in REMOVED_APIS
        if needle in lowered and pattern.search(rest)
    ]
    if not present:
        return found
    for number in range(first_line, len(lines) + 1):
        for pattern, what in present:
            if pattern.search(lines[number - 1]):
                message = f"uses a removed API: {what}; tag the question 'migration' if it is about migrating"
                found.append((number, message))
    return found
