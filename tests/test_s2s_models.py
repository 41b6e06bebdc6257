"""The seq2seq page's shipped date translators and saved experiment: what they do, and that the script remakes them."""

import numpy as np
import pytest

from core import dates, translator
from ui import translator as models

SHIPPED = models.load_shipped()


def held_out_pairs(n=2_000):
    """Held-out dates the page's own score did not use (another seed), half with the weekday."""
    return models.held_out(n, 1, seed=99)


@pytest.mark.parametrize("context", translator.CONTEXTS)
def test_every_shipped_model_translates_held_out_dates_exactly(context):
    sources, targets = held_out_pairs()
    _, test = dates.split()
    assert all(dates.parse(s)["date"].toordinal() in set(test.tolist()) for s in sources[:200])
    accuracy = translator.evaluate(context, SHIPPED[context]["params"], sources, targets)
    assert accuracy >= 0.99, f"{context}: {accuracy:.2%} of {len(sources)} held-out dates"


@pytest.mark.parametrize("context", translator.CONTEXTS)
def test_the_accuracy_the_page_shows_is_the_loaded_weights(context):
    assert translator.evaluate(context, SHIPPED[context]["params"], *models.held_out()) == SHIPPED[context]["accuracy"]


def stopped_at(run: models.Run, step: int) -> np.ndarray:
    """The first `step` losses of `run`, trained as the script trains it (its whole schedule), stopped early."""
    return translator.train(run.context, run.hidden, run.steps, run.seed, batch=models.BATCH, lr=models.LR,
                            clip=models.CLIP, dates_per_example=tuple(range(1, run.dates + 1)),
                            callback=lambda at, loss, params: at == step)["loss"]


@pytest.mark.parametrize("context", ["additive", "fixed"])
def test_the_script_s_shipped_runs_are_reproducible_from_their_seeds(context):
    np.testing.assert_allclose(stopped_at(models.SHIPPED_RUNS[context], 20), SHIPPED[context]["loss"][:20], atol=1e-5)


def test_the_saved_experiment_s_runs_are_reproducible_from_their_seeds():
    experiment, runs = models.load_experiment()
    run = experiment.plan()[-1]
    np.testing.assert_allclose(stopped_at(run, 21)[::10], runs[run]["loss"][:3], atol=1e-5)


def test_the_saved_experiment_is_the_page_s_default_and_complete():
    experiment, runs = models.load_experiment()
    assert experiment == models.Experiment()
    assert set(runs) == set(experiment.plan())
    for result in runs.values():
        assert len(result["whole"]) == len(result["first"]) == models.MAX_DATES
        assert all(0 <= a <= 1 for a in result["whole"] + result["first"])
