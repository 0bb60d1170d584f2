"""models: the status transitions, the one place resources are counted, and what a reset undoes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cco_enrich.models import (
    DOI,
    FORCE_RESET_STATUSES,
    RETRY_RESET_STATUSES,
    Author,
    JobState,
    Outcome,
    ProcessingStatus,
    Relation,
    Resource,
    ResourceStatus,
    StatusCounts,
    Work,
    reset_resources,
)

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
RESOURCES = [
    Resource(identifier="10.1000/A", doi="10.1000/a").with_outcome(
        Outcome.enriched(Work(doi="10.1000/a", registry="crossref", title="A"))
    ),
    Resource(identifier="10.1000/b", doi="10.1000/b").with_outcome(Outcome.not_found("10.1000/b")),
    Resource(identifier="10.1000/c", doi="10.1000/c").with_outcome(
        Outcome.failed("10.1000/c", "HTTP 503 six times")
    ),
    Resource(identifier="10.1000/d", doi="10.1000/d"),
    Resource(identifier="junk", status=ResourceStatus.INVALID, error="not a DOI"),
    Resource(identifier="https://example.org/x", status=ResourceStatus.SKIPPED),
]


def old_status(**fields: object) -> ProcessingStatus:
    return ProcessingStatus(updated_at=LONG_AGO, **fields)  # type: ignore[arg-type]


# -- counting -------------------------------------------------------------------------------------


def test_counts_hold_every_status_even_when_none_has_it() -> None:
    counts = StatusCounts.of([])
    assert counts.by_status == dict.fromkeys(ResourceStatus, 0)
    assert (counts.total, counts.done) == (0, 0)


def test_counts_of_resources_by_status() -> None:
    counts = StatusCounts.of(RESOURCES)
    assert counts.by_status == {
        ResourceStatus.PENDING: 1,
        ResourceStatus.ENRICHED: 1,
        ResourceStatus.NOT_FOUND: 1,
        ResourceStatus.INVALID: 1,
        ResourceStatus.FAILED: 1,
        ResourceStatus.SKIPPED: 1,
    }
    assert (counts.total, counts.done) == (6, 5)


def test_move_shifts_one_resource_between_statuses() -> None:
    counts = StatusCounts.of(RESOURCES)
    counts.move(ResourceStatus.PENDING, ResourceStatus.ENRICHED)
    assert (counts[ResourceStatus.PENDING], counts[ResourceStatus.ENRICHED]) == (0, 2)
    assert (counts.total, counts.done, counts.percent) == (6, 6, 100.0)


@pytest.mark.parametrize(
    ("pending", "finished", "percent"),
    [(3, 0, 0.0), (2, 1, 33.3), (1, 2, 66.7), (0, 3, 100.0), (0, 0, 100.0)],
)
def test_percent_is_done_over_total_to_one_decimal(
    pending: int, finished: int, percent: float
) -> None:
    """An empty session is all done: nothing is left to wait for."""
    resources = [Resource(identifier=f"10.1/{i}", doi=f"10.1/{i}") for i in range(pending)]
    resources += [Resource(identifier="junk", status=ResourceStatus.INVALID)] * finished
    assert StatusCounts.of(resources).percent == percent


def test_summary_names_every_outcome() -> None:
    assert StatusCounts.of(RESOURCES).summary() == (
        "1 enriched, 1 not found, 1 failed, 1 invalid, 1 skipped"
    )


def test_status_from_counts_carries_every_number() -> None:
    status = ProcessingStatus.from_counts(StatusCounts.of(RESOURCES), JobState.RUNNING, "resolving")
    numbers = ("total", "done", "enriched", "not_found", "invalid", "skipped", "failed")
    assert [getattr(status, name) for name in numbers] == [6, 5, 1, 1, 1, 1, 1]
    assert (status.percent, status.status, status.stage) == (83.3, JobState.RUNNING, "resolving")


def test_a_new_session_is_idle_and_counted() -> None:
    status = ProcessingStatus.created(RESOURCES)
    assert (status.status, status.stage, status.message) == (JobState.IDLE, "created", "")
    assert (status.total, status.done) == (6, 5)


# -- transitions ----------------------------------------------------------------------------------


def test_moved_to_sets_state_stage_message_and_stamps_the_time() -> None:
    before = old_status(status=JobState.RUNNING, total=6, done=2, stage="resolving", message="x")
    after = before.moved_to(JobState.FAILED, "internal error", "stopped")
    assert (after.status, after.stage, after.message) == (
        JobState.FAILED,
        "internal error",
        "stopped",
    )
    assert after.updated_at > LONG_AGO
    assert (after.total, after.done) == (6, 2)  # no counts given: the numbers stay
    assert before.status is JobState.RUNNING  # a new status; the old one is unchanged


def test_moved_to_with_counts_replaces_the_numbers() -> None:
    after = old_status(total=99).moved_to(
        JobState.RUNNING, "resolving", "go", counts=StatusCounts.of(RESOURCES)
    )
    assert (after.total, after.done, after.percent, after.message) == (6, 5, 83.3, "go")
    assert after.updated_at > LONG_AGO


def test_queued_waits_for_a_worker() -> None:
    after = old_status(total=4).queued()
    assert (after.status, after.stage, after.message) == (
        JobState.QUEUED,
        "queued",
        "waiting for a worker",
    )
    assert after.total == 4
    assert after.updated_at > LONG_AGO


def test_running_says_how_far_it_got() -> None:
    after = old_status().running(StatusCounts.of(RESOURCES))
    assert (after.status, after.stage, after.message) == (
        JobState.RUNNING,
        "resolving",
        "5 of 6 resources done",
    )


def test_completed_sums_up_the_outcomes() -> None:
    after = old_status(status=JobState.RUNNING).completed(StatusCounts.of(RESOURCES))
    assert (after.status, after.stage) == (JobState.COMPLETED, "done")
    assert after.message == "1 enriched, 1 not found, 1 failed, 1 invalid, 1 skipped"
    assert after.status.is_terminal


def test_cancelled_is_terminal_and_keeps_the_numbers() -> None:
    after = old_status(status=JobState.QUEUED, total=3, done=1).cancelled("before a worker")
    assert (after.status, after.stage, after.message) == (
        JobState.CANCELLED,
        "cancelled",
        "before a worker",
    )
    assert (after.total, after.done) == (3, 1)
    assert after.status.is_terminal
    assert not after.status.is_active


def test_failed_at_names_the_stage() -> None:
    after = old_status(status=JobState.RUNNING).failed_at("gave up", "lost 5 times")
    assert (after.status, after.stage, after.message) == (
        JobState.FAILED,
        "gave up",
        "lost 5 times",
    )


def test_recounted_keeps_state_stage_and_message() -> None:
    before = old_status(status=JobState.COMPLETED, stage="done", message="all done", total=6)
    after = before.recounted(StatusCounts.of(RESOURCES[3:]))
    assert (after.status, after.stage, after.message) == (JobState.COMPLETED, "done", "all done")
    assert (after.total, after.done) == (3, 2)
    assert after.updated_at > LONG_AGO


@pytest.mark.parametrize(
    ("state", "is_active", "is_terminal"),
    [
        (JobState.IDLE, False, False),
        (JobState.QUEUED, True, False),
        (JobState.RUNNING, True, False),
        (JobState.COMPLETED, False, True),
        (JobState.FAILED, False, True),
        (JobState.CANCELLED, False, True),
    ],
)
def test_job_states_are_active_or_terminal(
    state: JobState, is_active: bool, is_terminal: bool
) -> None:
    assert (state.is_active, state.is_terminal) == (is_active, is_terminal)


# -- resets ---------------------------------------------------------------------------------------


def test_retry_resets_only_the_failed_resources() -> None:
    changed = reset_resources(RESOURCES, RETRY_RESET_STATUSES)
    assert list(changed) == [2]
    assert changed[2] == Resource(identifier="10.1000/c", doi="10.1000/c")


def test_force_resets_every_looked_up_doi_but_never_invalid_or_skipped() -> None:
    changed = reset_resources(RESOURCES, FORCE_RESET_STATUSES)
    assert list(changed) == [0, 1, 2]
    assert all(r.status is ResourceStatus.PENDING and r.title is None for r in changed.values())


def test_with_outcome_copies_relations_and_the_descriptive_fields() -> None:
    work = Work(
        doi=DOI("10.82144/e98987b1"),
        registry="datacite",
        title="Survey",
        relations=(Relation(type="IsPartOf", identifier="https://seamap.env.duke.edu/?"),),
        contributors=(Author(name="SEFSC"),),
        temporal_coverage="2017-06-29/2017-08-17",
        date_created="2019-02-20",
        keywords=("cetaceans",),
    )
    given = Relation(type="HasPart", identifier="https://doi.org/10.82144/x")
    resource = Resource(identifier="10.82144/e98987b1", doi=DOI("10.82144/e98987b1"))
    enriched = resource.model_copy(update={"relations": (given,)}).with_outcome(
        Outcome.enriched(work)
    )
    assert enriched.relations == (given, *work.relations)  # a map's relations stay
    assert (enriched.contributors, enriched.temporal_coverage) == (
        work.contributors,
        work.temporal_coverage,
    )
    assert (enriched.date_created, enriched.keywords) == ("2019-02-20", ("cetaceans",))
    assert enriched.reset().relations == ()
