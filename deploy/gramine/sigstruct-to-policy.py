#!/usr/bin/env python3
"""Turns `gramine-sgx-sigstruct-view --output-format json` (stdin) into the attestation policy clients pin.

Writes the VerificationPolicy JSON that `bin/attest402 measure` writes for the simulated TEE: {"mrEnclave": ...}.
With --signer it pins MRSIGNER + ISVPRODID + minimum ISVSVN instead (upgrades signed by the same key keep
passing; see deploy/README.md for the trade-off). Refuses a debug enclave: its memory is readable by the host.
"""
import json
import re
import sys


def main(argv):
    signer = "--signer" in argv[1:]
    view = json.load(sys.stdin)

    def hex32(key):
        v = str(view.get(key, "")).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            sys.exit(f"sigstruct-to-policy: '{key}' is not 32 bytes of hex: {v!r}")
        return v

    if view.get("debug_enclave"):
        sys.exit("sigstruct-to-policy: this enclave is signed as a debug enclave; clients must not pin it")
    if signer:
        policy = {"mrSigner": hex32("mr_signer"), "isvProdId": int(view["isv_prod_id"]),
                  "minIsvSvn": int(view["isv_svn"])}
    else:
        policy = {"mrEnclave": hex32("mr_enclave")}
    json.dump(policy, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
