"""CloudFormation and SAM templates, JSON and YAML: reading, locating and resolving intrinsics."""
