"""tests/test_banqer_contract.py: the Banqer consumer contract run against your own client.

The suite plays Banqer (local servers on 127.0.0.1 and a fake clock): Hypothesis generates runs of
401/429/5xx, error bodies from the spec and malformed ones, pages and page tokens, and checks what
your client does with them. You write the adapter: how to build your client and call it.
"""

from mycompany.banqer import Banqer, BanqerFailure  # your client and the error it raises

from specmock.contracts.consumer import BanqerAdapter, BanqerConsumerContract


class MyBanqer(BanqerAdapter):
    error_types = (BanqerFailure,)  # every failure must be one of these

    def make_client(self, *, api_base, auth_base, tenant, client_id, client_secret, sleep, now):
        # a new client, empty token cache, waiting with sleep() and reading the time with now()
        return Banqer(tenant, client_id, client_secret, api_base=api_base, auth_base=auth_base,
                      sleep=sleep, now=now)

    def call_get(self, client, path):
        return client.get(path)  # the parsed JSON body

    def list_all(self, client, path, params):
        return list(client.paginate(path, params))  # every item of every page


class TestMyBanqerClient(BanqerConsumerContract):  # one test per property: test_retries, test_pagination ...
    adapter = MyBanqer()


def test_only_the_retry_rules(specmock_consumer_contract):  # or: some properties in one test
    specmock_consumer_contract(MyBanqer(), only=["retries", "token_renewal"])
