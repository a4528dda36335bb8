"""The output tree: staging and atomic swap, the incremental record, workers, orchestration."""
