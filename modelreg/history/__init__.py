"""The audit trail from git log: the history engine, its kept records, questions asked of it, tenures,
time travel."""
