"""One importer per data source; each returns rows in the label schema (ava_model.labels.schema)."""

from ava_training.importers.authored import import_authored
from ava_training.importers.common import ImportedSource
from ava_training.importers.ladders import import_ladders, read_ladders
from ava_training.importers.outcomes import import_outcomes
from ava_training.importers.published_rates import import_published_rates
from ava_training.importers.t2v_compbench import import_t2v_compbench
from ava_training.importers.vbench import import_vbench
from ava_training.importers.vbench2 import import_vbench2

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
