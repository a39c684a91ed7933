"""Endorsement, recommendation, evaluation, inspection and the committee vote (考察与票决)."""
