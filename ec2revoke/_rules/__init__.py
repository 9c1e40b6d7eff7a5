"""The builder: ports, peers and rules, read from and written to EC2's shapes."""
