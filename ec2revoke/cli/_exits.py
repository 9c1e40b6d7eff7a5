"""The command line's exit codes: the AWS CLI's, plus 3 for a revoke EC2 did not finish
(see the ``ec2revoke.cli`` docstring for the table)."""

EXIT_OK = 0
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_PARAM = 252
EXIT_CONFIG = 253
EXIT_SERVICE = 254
EXIT_OTHER = 255
