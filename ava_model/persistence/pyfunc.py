"""The AVA model as an ``mlflow.pyfunc`` model, so a registry version can be served by MLflow."""

from __future__ import annotations

import mlflow.pyfunc


class AvaPyfunc(mlflow.pyfunc.PythonModel):
    """Input: a DataFrame with ``prompt`` and ``platform`` columns. Output: one risk column per mode."""

    def load_context(self, context) -> None:
        """Load the AVA artifact MLflow unpacked with the model (the ``ava`` artifact)."""
        from ava_model.persistence.loading import load_scorer

        self.scorer = load_scorer(context.artifacts["ava"])

    def predict(self, context, model_input, params=None):
        """Return a DataFrame of failure probabilities, one row per input row."""
        frame = model_input
        return self.scorer.predict_proba(list(frame["prompt"]), list(frame["platform"]))
