"""Benchmarks: Parley beside a peer baseline on the same machine, in the same run."""
