"""The CX report pages (views, forms) over feedback.metrics."""
