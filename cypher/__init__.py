"""socialrec's Cypher query library (the *.cypher files beside this one).

Shipped inside the package as ``socialrec.cypher``; see socialrec/queries.py.
"""
