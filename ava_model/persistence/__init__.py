"""The model on disk and in the registry: joblib artifact, safe loading, MLflow pyfunc."""
