"""The AVA model as a typed ``mlflow.pyfunc`` model, so a registry version can be served by MLflow or run on Spark.

Input: a DataFrame with ``prompt`` and ``platform`` (strings) and an optional ``user``.
Output: one double column per failure mode (the risks of :meth:`ava_model.core.scorer.Scorer.predict_proba`),
then ``top_mode`` and ``light`` (strings). :func:`model_signature` states both, so ``mlflow models serve``
checks the columns and ``mlflow.pyfunc.spark_udf`` knows the result type. A bad prompt or an unknown
platform is an ``MlflowException`` with ``INVALID_PARAMETER_VALUE``: MLflow's scoring server answers it
with a 400 that names the field and the row, never a stack trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mlflow.pyfunc

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models.signature import ModelSignature

INPUT_EXAMPLE = {"prompt": ["A man says 'Good morning, everyone' to the camera", "Seven red apples on a table"],
                 "platform": ["sora-2", "kling"], "user": ["alice", ""]}


def model_signature(modes: tuple[str, ...]) -> ModelSignature:
    """Return the signature: prompt, platform (required) and user (optional) in; a risk per mode, top_mode, light out."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec("string", "prompt"), ColSpec("string", "platform"),
                     ColSpec("string", "user", required=False)])
    outputs = Schema([ColSpec("double", m) for m in modes] + [ColSpec("string", "top_mode"), ColSpec("string", "light")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def input_example() -> pd.DataFrame:
    """Return a two-row input example (logged with the model and shown by the MLflow UI)."""
    import pandas as pd

    return pd.DataFrame(INPUT_EXAMPLE)


class AvaPyfunc(mlflow.pyfunc.PythonModel):
    """Input: a DataFrame with ``prompt``, ``platform`` and optional ``user``. Output: a risk per mode, top_mode, light."""

    def load_context(self, context) -> None:
        """Load the AVA artifact MLflow unpacked with the model (the ``ava`` artifact)."""
        from ava_model.persistence.loading import load_scorer

        self.scorer = load_scorer(context.artifacts["ava"])

    def predict(self, context, model_input, params=None):
        """Return a DataFrame of failure probabilities, top mode and light, one row per input row."""
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from ava_model.errors import AvaError

        frame = model_input
        missing = [c for c in ("prompt", "platform") if c not in frame.columns]
        if missing:
            raise MlflowException(f"Input is missing the column(s) {', '.join(missing)}; columns read: prompt and "
                                  "platform (required), user (optional).", error_code=INVALID_PARAMETER_VALUE)
        try:
            risks = self.scorer.predict_proba(list(frame["prompt"]), list(frame["platform"]))
        except AvaError as exc:  # names the field, the row positions and the valid choices
            raise MlflowException(f"Bad input: {exc}", error_code=INVALID_PARAMETER_VALUE) from exc
        return with_summary(risks, self.scorer.rules)


def with_summary(risks: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """Return the risk columns with ``top_mode`` and ``light`` (the traffic light of the highest risk) added."""
    out = risks.copy()
    out["top_mode"] = risks.idxmax(axis=1).astype(str)
    out["light"] = [rules.thresholds.light(float(r)) for r in risks.max(axis=1)]
    return out
