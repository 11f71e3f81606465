#!/usr/bin/env python3
"""Verify maracd's audit log without trusting maracd: Python's standard library and the
openssl CLI only (docs/audit.md).

    maracctl audit log --json > log.json
    scripts/verify-log.py log.json [--checkpoint FILE ...] [--certs signing-certificates.pem]
                                   [--origin ORIGIN] [--previous OLDER-log.json]
                                   [--proof PROOF.json (with --checkpoint and --certs)]

Checks, naming the first failure and exiting 1:
  1. every entry shown hashes (RFC 6962 leaf: SHA-256(0x00 || entry)) to its leaf;
  2. the leaves hash to the root the export states (RFC 6962 Merkle tree head);
  3. each checkpoint's signature verifies with `openssl dgst -sha256 -verify` and the
     certificate its key ID names (the first 4 bytes of SHA-256 of its public key), its
     signature line names its origin (and --origin, if given), and its root is the root of
     the first `size` leaves (so the log is consistent with it);
  4. with --previous, every leaf of the older export is unchanged (else: the first
     entry that was altered, removed or reordered);
  5. with --proof (`maracctl audit prove N --checkpoint FILE --json`), which needs a signed
     checkpoint (--checkpoint, --certs): the entry's bytes are the log's leaf at its index,
     the inclusion proof verifies to the proof's root, and that root is the signed
     checkpoint's, or extends it (a consistency proof from it, with the entry below its size).
     A proof checked only against its own root proves nothing: anyone can make one.
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves):
    """RFC 6962 MTH over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def verify_inclusion(leaf, index, size, proof, expected_root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    if old_size & (old_size - 1) == 0:
        proof = [old_root] + proof
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def certificates(pem_path):
    text = open(pem_path).read()
    blocks = text.split("-----END CERTIFICATE-----")
    return [b + "-----END CERTIFICATE-----\n" for b in blocks if "BEGIN CERTIFICATE" in b]


def signature_verifies(body, signature, key_id, pem_path):
    """Whether the certificate whose key ID is `key_id` verifies `signature` over `body`."""
    with tempfile.TemporaryDirectory() as scratch:
        body_file, sig_file = os.path.join(scratch, "body"), os.path.join(scratch, "sig")
        open(body_file, "wb").write(body)
        open(sig_file, "wb").write(signature)
        for i, cert in enumerate(certificates(pem_path)):
            cert_file, key_file = os.path.join(scratch, "c%d.pem" % i), os.path.join(scratch, "k%d.pem" % i)
            open(cert_file, "w").write(cert)
            key = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert_file], capture_output=True)
            if key.returncode != 0:
                continue
            open(key_file, "wb").write(key.stdout)
            der = subprocess.run(["openssl", "pkey", "-pubin", "-in", key_file, "-outform", "DER"], capture_output=True)
            if der.returncode != 0 or hashlib.sha256(der.stdout).digest()[:4] != key_id:
                continue
            check = subprocess.run(["openssl", "dgst", "-sha256", "-verify", key_file, "-signature", sig_file, body_file],
                                   capture_output=True)
            if check.returncode == 0:
                return True
    return False


def parse_checkpoint(text):
    """C2SP tlog-checkpoint: origin, size, base64 root; a blank line; one signature line."""
    head, _, signature_line = text.partition("\n\n")
    lines = head.split("\n")
    if len(lines) != 3 or not signature_line.startswith("\u2014 "):
        fail("not a checkpoint")
    parts = signature_line.rstrip("\n").split(" ")
    if len(parts) != 3 or parts[1] != lines[0]:
        fail("checkpoint: its signature line does not name its origin %s" % lines[0])
    blob = base64.b64decode(parts[2])
    return {"body": (head + "\n").encode(), "origin": lines[0], "size": int(lines[1]), "root": base64.b64decode(lines[2]),
            "key_id": blob[:4], "signature": blob[4:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log")
    parser.add_argument("--checkpoint", action="append", default=[])
    parser.add_argument("--certs")
    parser.add_argument("--previous")
    parser.add_argument("--proof")
    parser.add_argument("--origin")
    args = parser.parse_args()
    if args.proof and not (args.checkpoint and args.certs):
        parser.error("--proof needs a signed checkpoint to check it against: --checkpoint FILE and --certs FILE")

    log = json.load(open(args.log))
    leaves = [bytes.fromhex(h) for h in log["leaves"]]

    # First against an earlier export: this names the first entry changed since.
    if args.previous:
        older = [bytes.fromhex(h) for h in json.load(open(args.previous))["leaves"]]
        for seq, leaf in enumerate(older):
            if seq >= len(leaves):
                fail("log entry %d and after were removed (the log has only %d entries)" % (seq, len(leaves)))
            if leaves[seq] != leaf:
                fail("log entry %d was altered, removed or reordered since the previous export" % seq)
        print("OK: the %d entries of the previous export are unchanged" % len(older))

    for item in log["entries"]:
        raw = base64.b64decode(item["raw"])
        seq = item["seq"]
        if seq >= len(leaves) or leaf_hash(raw) != leaves[seq]:
            fail("log entry %d does not hash to its leaf" % seq)
        if json.loads(raw) != item["entry"]:
            fail("log entry %d is shown differently from its bytes" % seq)
    # The checkpoints, before the daemon's own stated root: they are what left the host.
    checkpoints = []
    for path in args.checkpoint:
        checkpoint = parse_checkpoint(open(path, encoding="utf-8").read())
        size = checkpoint["size"]
        if args.origin and checkpoint["origin"] != args.origin:
            fail("checkpoint %s: its origin is %s, not %s" % (path, checkpoint["origin"], args.origin))
        if args.certs and not signature_verifies(checkpoint["body"], checkpoint["signature"], checkpoint["key_id"], args.certs):
            fail("checkpoint %s: the signature does not verify with the certificate its key ID names in %s" % (path, args.certs))
        checkpoints.append(checkpoint)
        if size > len(leaves):
            fail("log entry %d and after were removed (checkpoint at size %d; the log has %d entries)" % (len(leaves), size, len(leaves)))
        if root(leaves[:size]) != checkpoint["root"]:
            fail("checkpoint at size %d: the log is not consistent with it (an entry below %d was altered, removed or reordered)"
                 % (size, size))
        print("OK: consistent with the checkpoint at size %d%s" % (size, ", signature verified by openssl" if args.certs else ""))

    if len(leaves) != log["size"] or root(leaves) != base64.b64decode(log["root"]):
        fail("the entries do not hash to the root the daemon states (its stored hashes disagree with its entries)")
    print("OK: %d leaves hash to root %s; %d entries shown match their leaves" % (len(leaves), log["root"], len(log["entries"])))

    if args.proof:
        proof = json.load(open(args.proof))
        raw, index, size = base64.b64decode(proof["raw"]), proof["entry"], proof["size"]
        proof_root = base64.b64decode(proof["root"])
        if index >= len(leaves) or leaf_hash(raw) != leaves[index]:
            fail("the proof's entry %d is not the log's leaf at that index" % index)
        if not verify_inclusion(leaf_hash(raw), index, size, [bytes.fromhex(h) for h in proof["inclusion"]], proof_root):
            fail("the inclusion proof for entry %d does not verify" % index)
        # The proof's root must be a signed checkpoint's, or a tree that extends one.
        anchored = None
        for checkpoint in checkpoints:
            if checkpoint["size"] == size and checkpoint["root"] == proof_root:
                anchored = checkpoint
            elif (proof.get("checkpointSize") == checkpoint["size"] and index < checkpoint["size"]
                  and verify_consistency(checkpoint["size"], size, checkpoint["root"], proof_root,
                                         [bytes.fromhex(h) for h in proof.get("consistency", [])])):
                anchored = checkpoint
        if anchored is None:
            fail("the proof for entry %d is not anchored in a signed checkpoint given (its root is neither one's, "
                 "nor consistent with one whose size is above the entry)" % index)
        print("OK: entry %d is included in the tree of size %d, anchored in the signed checkpoint at size %d"
              % (index, size, anchored["size"]))


if __name__ == "__main__":
    main()
