"""Publicity, complaints, appointment and probation (任前公示、举报、任职试用)."""
