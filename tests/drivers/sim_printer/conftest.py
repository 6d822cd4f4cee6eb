import itertools

import pytest

from drivers.sim.printer import PrinterSimulator

_ids = itertools.count()


@pytest.fixture
def make_printer(tmp_path):
    """PrinterSimulator factory: instant paper and cuts unless told otherwise; closed afterwards."""
    made = []

    def make(**options: str) -> PrinterSimulator:
        opts = {"id": f"t{next(_ids)}", "speed": "0", "cut_ms": "0", "out": str(tmp_path / f"out{len(made)}")}
        sim = PrinterSimulator(opts | options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def printer(make_printer):
    return make_printer()
