"""Reporters: findings and results → terminal text, JSON, JUnit XML, HTML."""
