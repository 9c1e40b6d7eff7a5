"""The wire: the schema the generated tables are written in, and the codecs they drive
(EC2 Query, XML, the boto3 dict form) with the checks EC2's documentation adds."""
