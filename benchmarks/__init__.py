"""Speed and memory benchmarks of the course's data layer (`python -m benchmarks`)."""
