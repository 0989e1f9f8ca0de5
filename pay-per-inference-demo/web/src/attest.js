// Checks a facilitator's attestation in the browser, before paying, without trusting the provider's server for the
// verdict: fetches GET /attestation?nonce= from the facilitator itself with a nonce chosen here, verifies the DCAP
// quote against the collateral it serves (Intel-signed on hardware, by the pinned simulation root in the demo) with
// @phala/dcap-qvl (a JavaScript port of Intel's verification library: certificate chains, CRLs, TCB info, QE
// identity, quote and QE report signatures), then applies the pinned policy the provider publishes in config.json
// (accepted TCB statuses, debug, the measurement pins, the simulation roots trusted by fingerprint), checks that the
// quote's report data binds the served signer keys, and that the freshness proof is the attested key's signature
// over this nonce and the time. Any failure throws an Error whose message says why; the page then refuses to pay.
import dcapQvl from '@phala/dcap-qvl';
import { Buffer } from 'buffer';
import { concat, hexToBytes, recoverPublicKey, sha256, stringToBytes, toHex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';

const { QuoteVerifier } = dcapQvl;

const FORMAT = 'attest402-attestation-v1';
const KEY_DOMAIN = 'attest402-facilitator-v1';
const SIGNERS_DOMAIN = 'attest402-facilitator-signers-v1';
const FRESHNESS_DOMAIN = 'attest402-attestation-freshness-v1';
const FRESHNESS_WINDOW_SECONDS = 120;
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const strip0x = (s) => String(s ?? '').replace(/^0x/i, '').toLowerCase();

function fail(reason) {
  throw new Error(reason);
}

/** The DER certificates of a PEM chain. */
function pemCertificates(pem) {
  const out = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem ?? ''); m; m = re.exec(pem ?? '')) {
    out.push(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

async function sha256Hex(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/**
 * The verifier for the chains' root: Intel's (built into dcap-qvl) unless the collateral's chains end in a
 * simulation root this policy pins by the SHA-256 of its DER. Returns the verifier and the anchor's name.
 */
async function verifierFor(collateral, policy) {
  const chain = pemCertificates(collateral.tcb_info_issuer_chain);
  if (chain.length === 0) fail('the served collateral has no TCB info issuer chain');
  const root = chain[chain.length - 1];
  const fingerprint = await sha256Hex(root);
  if ((policy.simulationRoots ?? []).map(strip0x).includes(fingerprint)) {
    return { verifier: QuoteVerifier.newWithRootCa(root), anchor: `simulation:${fingerprint}` };
  }
  return { verifier: QuoteVerifier.newProd(), anchor: 'intel' };
}

/** The report data the quote must carry for these signer keys and the document's nonce (KeyBinding). */
function expectedReportData(publicKeys, nonce) {
  let keyHash;
  if (publicKeys.length === 1) {
    keyHash = sha256(concat([stringToBytes(KEY_DOMAIN), publicKeys[0]]), 'bytes');
  } else {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, publicKeys.length);
    keyHash = sha256(concat([stringToBytes(SIGNERS_DOMAIN), n, ...publicKeys]), 'bytes');
  }
  return hex(concat([keyHash, nonce]));
}

/** The measurement pins of the policy that this report fails, or why it cannot be pinned at all. */
function measurementProblems(report, policy) {
  const problems = [];
  const pin = (name, want, got) => {
    if (want != null && strip0x(want) !== hex(got)) problems.push(`${name} is ${hex(got)}, the policy pins ${strip0x(want)}`);
  };
  const sgx = report.asSgx();
  const td = report.asTd10();
  if (sgx) {
    if (policy.mrTd != null || [0, 1, 2, 3].some((i) => policy[`rtmr${i}`] != null)) {
      problems.push('the policy pins a TD (MRTD/RTMR) but the quote is from an SGX enclave');
    }
    pin('MRENCLAVE', policy.mrEnclave, sgx.mrEnclave);
    pin('MRSIGNER', policy.mrSigner, sgx.mrSigner);
    if (policy.isvProdId != null && policy.isvProdId !== sgx.isvProdId) {
      problems.push(`ISVPRODID is ${sgx.isvProdId}, the policy pins ${policy.isvProdId}`);
    }
    if (policy.minIsvSvn != null && sgx.isvSvn < policy.minIsvSvn) {
      problems.push(`ISVSVN ${sgx.isvSvn} is below the policy's minimum ${policy.minIsvSvn}`);
    }
  } else if (td) {
    if (policy.mrEnclave != null || policy.mrSigner != null) {
      problems.push('the policy pins an SGX enclave (MRENCLAVE/MRSIGNER) but the quote is from a TD');
    }
    pin('MRTD', policy.mrTd, td.mrTd);
    [td.rtMr0, td.rtMr1, td.rtMr2, td.rtMr3].forEach((r, i) => pin(`RTMR${i}`, policy[`rtmr${i}`], r));
  } else {
    problems.push(`unknown report type ${report.type}`);
  }
  // MRTD measures only the TD's firmware, not the facilitator: a TD is pinned only by RTMRs (as AttestationChecker).
  const pinned = sgx
    ? policy.mrEnclave != null || (policy.mrSigner != null && policy.isvProdId != null)
    : [0, 1, 2, 3].some((i) => policy[`rtmr${i}`] != null);
  if (!pinned && !policy.allowAnyMeasurement) {
    problems.push(sgx
      ? 'the policy pins no measurement (MRENCLAVE, or MRSIGNER + ISVPRODID)'
      : 'TDX quote, but the policy pins no RTMR (MRTD measures only the TD firmware, not the facilitator)');
  }
  return { problems, pinned };
}

function isDebug(report) {
  const sgx = report.asSgx();
  if (sgx) return (sgx.attributes[0] & 0x02) !== 0;
  const td = report.asTd10();
  return (td.tdAttributes[0] & 0x01) !== 0;
}

/**
 * Verifies the facilitator at facilitatorUrl under policy (the provider's pinned policy JSON, as
 * VerificationPolicy.toJson writes it). Resolves to what was verified; rejects with the reason otherwise.
 */
export async function verifyFacilitator(facilitatorUrl, policy, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (!policy) fail('the provider publishes no attestation policy to check the facilitator against');
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  let response;
  try {
    response = await fetch(`${facilitatorUrl.replace(/\/+$/, '')}/attestation?nonce=${hex(nonce)}`);
  } catch (e) {
    fail(`cannot fetch the facilitator's attestation from ${facilitatorUrl}: ${e.message}`);
  }
  if (!response.ok) fail(`the facilitator's /attestation answered HTTP ${response.status}`);
  const doc = await response.json();
  if (doc.format !== FORMAT) fail(`not an attestation document (format ${doc.format})`);
  if (!doc.collateral) fail('the attestation document carries no collateral to verify its quote with');

  // 1. The quote, against the served collateral, rooted where the policy allows.
  const { verifier, anchor } = await verifierFor(doc.collateral, policy);
  let verified;
  try {
    verified = verifier.verify(Buffer.from(doc.quote, 'base64'), doc.collateral, nowSeconds);
  } catch (e) {
    let reason = e.message;
    for (let c = e.cause; c; c = c.cause) reason += `: ${c.message}`;
    fail(`the quote does not verify (${anchor === 'intel' ? 'against Intel\'s root' : anchor}): ${reason}`);
  }
  const accepted = policy.acceptedStatuses ?? ['UpToDate'];
  if (!accepted.includes(verified.status)) {
    fail(`TCB status ${verified.status} is not one the policy accepts (${accepted.join(', ')})`);
  }
  const report = verified.report;
  if (isDebug(report) && !policy.allowDebug) fail('the enclave runs in debug mode');
  const tdBody = report.asTd10();
  if (tdBody) {
    // TD attributes are a little-endian uint64: SEPT_VE_DISABLE is bit 28.
    if ((policy.requireSeptVeDisable ?? true) && (tdBody.tdAttributes[3] & 0x10) === 0) {
      fail('the TD does not set SEPT_VE_DISABLE');
    }
    const td15 = report.asTd15();
    if (td15 && td15.mrServiceTd.some((b) => b !== 0) && !policy.allowServiceTd) {
      fail('the TD is bound to a service TD (MRSERVICETD is not zero)');
    }
  }

  // 2. The code: the pinned measurement.
  const { problems, pinned } = measurementProblems(report, policy);
  if (problems.length) fail(`measurement refused: ${problems.join('; ')}`);

  // 3. The keys: the report data binds the served signer keys.
  const signers = doc.signers ?? [{ address: doc.signerAddress, publicKey: doc.publicKey }];
  const keys = signers.map((s) => hexToBytes(`0x${strip0x(s.publicKey)}`));
  if (keys.some((k) => k.length !== 65 || k[0] !== 4)) fail('a served signer key is not a 65-byte uncompressed key');
  if (strip0x(signers[0].publicKey) !== strip0x(doc.publicKey)) fail('publicKey is not the first of signers');
  const reportData = hex((report.asSgx() ?? report.asTd10()).reportData);
  const want = expectedReportData(keys, hexToBytes(`0x${strip0x(doc.nonce)}`));
  if (reportData !== want) fail(`the quote's report data ${reportData} does not bind the served keys (expected ${want})`);
  signers.forEach((s, i) => {
    const derived = publicKeyToAddress(`0x${hex(keys[i])}`);
    if (derived.toLowerCase() !== String(s.address).toLowerCase()) {
      fail(`signer ${i} is served as ${s.address} but its attested key is ${derived}'s`);
    }
  });

  // 4. Liveness: the attested key signed this nonce just now.
  const f = doc.freshness;
  if (!f) fail('the facilitator answered without a freshness proof for the nonce');
  if (f.domain !== FRESHNESS_DOMAIN) fail(`freshness proof has domain ${f.domain}`);
  if (strip0x(f.nonce) !== hex(nonce)) fail(`freshness proof answers nonce ${f.nonce}, not the one this page sent`);
  if (!Number.isSafeInteger(f.time) || Math.abs(nowSeconds - f.time) > FRESHNESS_WINDOW_SECONDS) {
    fail(`freshness proof was signed at ${f.time}, more than ${FRESHNESS_WINDOW_SECONDS} s from now (${nowSeconds})`);
  }
  const sig = strip0x(f.signature);
  if (!/^[0-9a-f]{130}$/.test(sig)) fail('freshness signature is not 65 bytes r || s || v');
  if (BigInt(`0x${sig.slice(64, 128)}`) > SECP256K1_HALF_N) fail('freshness signature is not low-s');
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(f.time));
  const digest = sha256(concat([stringToBytes(FRESHNESS_DOMAIN), new Uint8Array([0]), nonce, time]));
  let signer;
  try {
    signer = await recoverPublicKey({ hash: digest, signature: `0x${sig}` });
  } catch (e) {
    fail(`freshness signature does not verify: ${e.message}`);
  }
  if (strip0x(signer) !== strip0x(doc.publicKey)) fail('freshness signature is not by the attested key');

  const sgx = report.asSgx();
  return {
    status: verified.status,
    advisories: verified.advisory_ids ?? [],
    anchor,
    simulated: anchor.startsWith('simulation:'),
    measurement: sgx ? `MRENCLAVE ${hex(sgx.mrEnclave)}` : `MRTD ${hex(report.asTd10().mrTd)}`,
    pinned,
    signer: doc.signerAddress,
    signers: signers.map((s) => s.address),
    sourceRevision: doc.sourceRevision,
    nonce: toHex(nonce),
  };
}
