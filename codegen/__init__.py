"""The code generator: python -m codegen writes ec2revoke/_generated/ from botocore's model."""
