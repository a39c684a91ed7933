"""Qualification review, written exam and interview (资格审查、笔试、面试)."""
