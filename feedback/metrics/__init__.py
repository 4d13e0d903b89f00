"""The CX metric engine: definitions, SQL aggregation, daily rollups, queries, the parameters and role scope of a
query, the journeys figures provider and the weekly digest. The pages over it are feedback.reports."""
