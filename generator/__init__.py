"""Generate the CloudFormation of a multi-region serverless application."""
