"""``python -m ec2revoke.cli``: the same as the ``ec2revoke`` command."""

from ec2revoke.cli import main

raise SystemExit(main())
