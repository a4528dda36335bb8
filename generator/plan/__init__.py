"""Upgrade planning: every cluster's steps from its spec to the target network layer."""
