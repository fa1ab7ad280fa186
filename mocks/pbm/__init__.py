"""The Funcional PBM GraphQL gateway mock (``createToken`` + ``WsAcesso_*``), mounted at ``/pbm``.

- :mod:`api` — :class:`~specmock.mocks.pbm.api.PbmApi`, the :class:`MockApi` plug-in;
- :mod:`http` — GraphQL over HTTP: request checks, the document cache, execution, rendering;
- :mod:`cache` — replay of successful query results (reads are pure);
- :mod:`resolvers` — the eight root fields and the business rules;
- :mod:`auth` — token minting and the bearer check;
- :mod:`data` / :mod:`store` — the seeded catalogue and the patients/opt-ins state;
- :mod:`errors` / :mod:`messages` — every error body, and graphql-js wording for validation errors;
- :mod:`limits` — the depth/size validation rule.
"""
