"""Benchmarks of the generator, cfn-lint and the Lambda handlers: `make bench`."""
