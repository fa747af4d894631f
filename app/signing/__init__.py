"""Signing with USB tokens (PKCS#11) and pyHanko; no Qt, no database.

- worker.TokenWorker: the one thread for every PKCS#11 call, with the token poller.
- tokens: modules, tokens (by serial/label), logins, certificates; errors.py: messages.
- batch.sign_batch: many PDFs, one login, the role's mode, a stamp rendered once.
- lockcheck: refuses documents whose signatures lock them.
- validation.validate_pdf: reports per signature against the app's trust store.
- demo: the demo school's software CA and keys.
"""
