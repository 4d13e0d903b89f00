"""The CX metric engine: definitions, SQL aggregation, daily rollups, queries, reports."""
