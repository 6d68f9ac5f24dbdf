"""One importer per data source; each returns rows in the label schema (ava_model.labels.schema)."""

from training.importers.authored import import_authored
from training.importers.common import ImportedSource
from training.importers.ladders import import_ladders, read_ladders
from training.importers.outcomes import import_outcomes
from training.importers.published_rates import import_published_rates
from training.importers.t2v_compbench import import_t2v_compbench
from training.importers.vbench import import_vbench
from training.importers.vbench2 import import_vbench2

__all__ = [
    "ImportedSource",
    "import_authored",
    "import_ladders",
    "import_outcomes",
    "import_published_rates",
    "import_t2v_compbench",
    "import_vbench",
    "import_vbench2",
    "read_ladders",
]
